"""Quote verification: the one place that decides what may be shown as the op-ed's words.

A quote survives only if it is exactly ``document.text[start:end]`` of a document in the served
index, with a non-empty span and the right paragraph number. Quotes that fail are dropped and
every trace of them leaves the answer text: their ``[n]`` markers, their text, and any other
quoted passage (“…” or "…") in the answer that is not verbatim in a document. Survivors are
renumbered 1..k. Every answerer, extractive or generative, goes through ``finalize``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.schema import Quote
from index.documents import Document

_QUOTED = re.compile(r"“([^“”]{12,})”|\"([^\"]{12,})\"")
_MARKER = re.compile(r"\[(\d+)\]")
REMOVED = "[passage removed: not in the op-ed]"


def quotes_at(documents: dict[str, Document], spans) -> list[Quote]:
    """Numbered quotes, in the order given, for ``(doc, start, end)`` offsets: the text and the
    paragraph number are read from the document, so answerers that pick spans never copy text."""
    out = []
    for n, (doc, start, end) in enumerate(spans, 1):
        d = documents[doc]
        out.append(Quote(n, d.text[start:end], doc, d.paragraph_at(start), start, end))
    return out


def is_verbatim(quote: Quote, documents: dict[str, Document]) -> bool:
    doc = documents.get(quote.doc)
    if doc is None or not quote.text or not (0 <= quote.start < quote.end <= len(doc.text)):
        return False
    if doc.text[quote.start : quote.end] != quote.text:
        return False
    try:
        return doc.paragraph_at(quote.start) == quote.paragraph
    except ValueError:
        return False


@dataclass
class Checked:
    answer: str
    quotes: list[Quote]
    dropped: list[Quote]


def finalize(answer: str, quotes: list[Quote], documents: dict[str, Document]) -> Checked:
    """Drop unverifiable quotes and every trace of them in the answer text; renumber the rest."""
    kept = [q for q in quotes if is_verbatim(q, documents)]
    dropped = [q for q in quotes if q not in kept]
    renumber = {q.n: i for i, q in enumerate(kept, start=1)}

    # Shield verified quote texts, longest first, so the scan below only sees the rest.
    shields: dict[str, str] = {}
    text = answer
    for i, q in enumerate(sorted(kept, key=lambda q: -len(q.text))):
        token = f"\x00{i}\x00"
        if q.text in text:
            shields[token] = q.text
            text = text.replace(q.text, token)
    for q in dropped:
        if len(q.text) >= 12:
            text = text.replace(q.text, REMOVED)

    def check_quoted(m: re.Match) -> str:
        passage = m.group(1) or m.group(2)
        if "\x00" in passage or any(passage in d.text for d in documents.values()):
            return m.group(0)
        return REMOVED

    text = _QUOTED.sub(check_quoted, text)
    text = _MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]" if int(m.group(1)) in renumber else "", text)
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    for token, original in shields.items():
        text = text.replace(token, original)
    return Checked(text, [replace(q, n=renumber[q.n]) for q in kept], dropped)
