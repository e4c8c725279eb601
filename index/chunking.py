"""Sentence-aware chunking with exact character offsets.

Sentences come from pysbd (rule-based, no model, no download) with their spans in the canonical
text; a chunk is a run of whole sentences inside one paragraph, so no chunk ever cuts a sentence
or crosses a paragraph. Every span satisfies ``doc.text[start:end] == text``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from index.documents import Document

CHUNKER_VERSION = "sent-v1"


@dataclass(frozen=True)
class Span:
    """A piece of a document: a sentence or a chunk."""

    id: str
    doc: str
    paragraph: int
    start: int
    end: int
    text: str


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def _span_id(kind: str, doc: str, start: int, text: str) -> str:
    digest = hashlib.sha256(f"{kind}\x1f{doc}\x1f{start}\x1f{text}".encode()).hexdigest()
    return f"{kind[0]}-{digest[:20]}"


def split_sentences(doc: Document) -> list[Span]:
    """Every sentence of the document, in order, trimmed of surrounding whitespace."""
    out: list[Span] = []
    for para in doc.paragraphs:
        ptext = doc.text[para.start : para.end]
        for piece in _segmenter().segment(ptext):
            raw = ptext[piece.start : piece.end]
            lead = len(raw) - len(raw.lstrip())
            body = raw.strip()
            if not body:
                continue
            start = para.start + piece.start + lead
            end = start + len(body)
            assert doc.text[start:end] == body
            out.append(Span(_span_id("sentence", doc.id, start, body), doc.id, para.n, start, end, body))
    return out


def chunk_document(doc: Document, sentences: list[Span], max_chars: int = 450) -> list[Span]:
    """Group consecutive sentences of a paragraph into chunks of at most ``max_chars``
    (a single longer sentence becomes a chunk of its own)."""
    chunks: list[Span] = []
    group: list[Span] = []

    def flush() -> None:
        if group:
            start, end = group[0].start, group[-1].end
            text = doc.text[start:end]
            chunks.append(Span(_span_id("chunk", doc.id, start, text), doc.id, group[0].paragraph, start, end, text))
            group.clear()

    for s in sentences:
        if group and (s.paragraph != group[0].paragraph or s.end - group[0].start > max_chars):
            flush()
        group.append(s)
    flush()
    return chunks
