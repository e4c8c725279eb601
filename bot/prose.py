"""Prose leads from a model, checked like everything else that reaches a reader.

With ``OPEDBOT_LLM_PROSE=1`` a model backend writes the answer's lead in prose ("The op-ed argues
that the talks let the TTP regroup [2].") over the quotes the answer already has (verified). The
model's text streams to the reader through ``gate``, which holds back anything it cannot vouch
for until it can: a quoted span is released only once it is found verbatim in the op-ed, or
snapped to the exact source span when it is a near miss (rapidfuzz alignment, score ≥ 92);
otherwise it is dropped. A citation is released only when it names a quote the answer has;
markup (``<tag>``) and links are never released. When the stream ends, ``check_lead`` keeps only
the sentences that cite a quote, whose words come from the quotes they cite (so a fact the
model adds is dropped with its sentence), and that carry no prompt text; an answer left with
none keeps its template lead and says why in ``fallback``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from rapidfuzz import fuzz

from bot.schema import Quote
from bot.text import terms

_CLOSERS = {"“": "”", '"': '"', "[": "]", "<": ">", "(": ")"}
_CITATION = re.compile(r"\[(\d{1,2})\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|(?<=\])\s+(?=[A-Z])")
_URL = re.compile(r"\w+://\S+|www\.\S+", re.I)
MAX_HELD = 600  # an opening mark never closed within this many characters is dropped with what follows


def verifier(quotes: list[Quote], texts: dict[str, str], min_score: float = 92.0) -> Callable[[str], str | None]:
    """The checker for quoted spans: the span itself when the op-ed holds it verbatim, the
    exact source span when a cited quote holds a near miss of it, else None."""

    def check(span: str) -> str | None:
        span = span.strip()
        if len(span) < 3:
            return None
        if any(span in t for t in texts.values()):
            return span
        for q in quotes:
            hit = fuzz.partial_ratio_alignment(span, q.text)
            if hit is not None and hit.score >= min_score:
                start, end = hit.dest_start, hit.dest_end
                while start > 0 and q.text[start - 1].isalnum():  # whole words of the source
                    start -= 1
                while end < len(q.text) and q.text[end].isalnum():
                    end += 1
                exact = q.text[start:end].strip()
                if abs(len(exact) - len(span)) <= 0.15 * len(span):
                    return exact
        return None

    return check


def _drain(buf: str, valid: set[int], verify: Callable[[str], str | None], final: bool) -> tuple[str, str]:
    """Release what can be released from ``buf``; return (released, still held)."""
    out: list[str] = []
    i = 0
    while i < len(buf):
        c = buf[i]
        close = _CLOSERS.get(c)
        if close is None:
            out.append(c)
            i += 1
            continue
        j = buf.find(close, i + 1)
        if j < 0:  # not closed yet: hold it (or give up on it)
            if final or len(buf) - i > MAX_HELD:
                return "".join(out), ""
            return "".join(out), buf[i:]
        span = buf[i + 1 : j]
        if c == "[":
            if span.isdigit() and int(span) in valid:
                out.append(f"[{span}]")
        elif c == "(":
            if not _URL.search(span):
                out.append(f"({span})")
        elif c in '“"':
            exact = verify(span)
            if exact:
                out.append(f"“{exact}”")
        i = j + 1  # "<…>" markup is dropped whole
    return "".join(out), ""


def gate(pieces: Iterable[str], n_quotes: int, verify: Callable[[str], str | None]) -> Iterator[str]:
    """The model's text pieces, released as soon as they are safe to show (see module doc)."""
    valid = set(range(1, n_quotes + 1))
    held = ""  # model text not yet checked (an open quote, citation or tag)
    tail = ""  # checked text of a word still being written: it may turn out to be a link
    for piece in pieces:
        released, held = _drain(held + piece, valid, verify, final=False)
        text = tail + released
        cut = max(text.rfind(" "), text.rfind("\n")) + 1
        text, tail = text[:cut], text[cut:]
        if text:
            yield _URL.sub("", text)
    released, _ = _drain(held, valid, verify, final=True)
    if tail + released:
        yield _URL.sub("", tail + released)


# Words a lead frames its claims with; they need no support in the quotes.
_FRAMING = frozenset(
    terms(
        "op-ed author article writer piece argues argue states says suggests believes contends claims "
        "recommends calls urges warns notes according discusses describes explains view"
    )
)


def supported(sentence: str, sources: str, min_share: float = 0.8) -> bool:
    """Whether the words of a lead sentence come from its sources (the quotes it cites and the
    question): a paraphrase keeps the quotes' words; a fact the model adds ("a boundary between
    India and Pakistan") brings words of its own."""
    own = set(terms(_CITATION.sub(" ", sentence))) - _FRAMING
    if not own:
        return False
    return len(own & set(terms(sources))) / len(own) >= min_share


def check_lead(text: str, quotes: list[Quote], question: str = "", forbidden: Iterable[str] = ()) -> str:
    """The sentences of a released lead that cite the answer's quotes, say only what those quotes
    (and the question) say, and hold none of ``forbidden`` (prompt text such as the canary); ""
    when none does."""
    by_n = {q.n: q.text for q in quotes}
    keep = []
    for sentence in _SENTENCE.split(" ".join(text.split())):
        cited = {int(n) for n in _CITATION.findall(sentence)}
        if not cited or not cited <= set(by_n) or any(f and f in sentence for f in forbidden):
            continue
        if supported(sentence, " ".join([question, *(by_n[n] for n in sorted(cited))])):
            keep.append(attributed(sentence.strip()))
    return " ".join(keep)


_ATTRIBUTION = re.compile(r"\b(op-?ed|author|article|writer|piece|column|according to|argues?|says|writes|contends|warns|urges)\b", re.I)
_PLAIN_START = re.compile(r"^(The|A|An|When|It|Its|This|These|Those|There|In|If|Many|Some)\b")


def attributed(sentence: str) -> str:
    """The sentence with its claim attributed to the op-ed when it states it in the bot's own
    voice ("KP's leadership should avoid …" → "According to the op-ed, KP's leadership …")."""
    if _ATTRIBUTION.search(sentence):
        return sentence
    if _PLAIN_START.match(sentence):
        sentence = sentence[0].lower() + sentence[1:]
    return f"According to the op-ed, {sentence}"
