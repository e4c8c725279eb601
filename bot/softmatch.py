"""Soft word matching: how much of a question's meaning each sentence holds, word by word.

A reader's paraphrase shares few words with the op-ed ("trading lulls in fighting for the
freeing of jailed fighters" for "exchanging pauses in violence for prisoner releases"), and one
vector per sentence blurs the words that matter with those that do not. MiniLM's contextual
wordpiece vectors (its last layer, before pooling) match word to word instead: each content word
of the question is matched by its closest wordpiece in the sentence, and the score is the mean
of those best matches, weighted by how rare each wordpiece is in the op-ed (BERTScore recall,
Zhang et al. 2020, with IDF weights). The question's wordpieces come from the same forward pass
as its vector (``index.embeddings``); an op-ed's sentences' are made the first time a question
reaches that op-ed (≈ 0.1 s), so an index of many op-eds starts as fast as before and pays only
for those asked about.

Measured over the development sets' single questions, the sentence ranked first is a gold one
for 0.64 of them with this score against 0.59 with cosine plus word overlap (248 questions, five
op-eds; README "Ranking").
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bot.text import terms
from index.embeddings import TokenVectors


class _Sentence(Protocol):
    @property
    def doc(self) -> str: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class _Op:
    """One op-ed's sentences as wordpieces: rows ``first`` … ``first + n - 1`` of the index."""

    first: int
    starts: np.ndarray  # wordpiece offset of each of its sentences, and the end
    matrix: np.ndarray  # (its wordpieces, 384), unit rows
    idf: dict[str, float]
    idf_unknown: float


class SoftMatcher:
    def __init__(
        self, sentences: Sequence[_Sentence], encode: Callable[[list[str]], list[TokenVectors]], ignore: frozenset[str] = frozenset()
    ) -> None:
        """``sentences``: the index's sentence rows, sorted by document; ``encode``: texts to their
        wordpiece vectors; ``ignore``: stems of words that say nothing about what a question is
        about (stopwords, "author", "op-ed")."""
        self.sentences, self.encode, self.ignore = sentences, encode, ignore
        self._ops: dict[str, _Op] = {}
        self._lock = threading.Lock()

    def _op(self, doc: str, row: int) -> _Op:
        """The op-ed holding ``row``, its wordpieces made on first use."""
        op = self._ops.get(doc)
        if op is None:
            with self._lock:
                op = self._ops.get(doc)
                if op is None:
                    first = row
                    while first > 0 and self.sentences[first - 1].doc == doc:
                        first -= 1
                    last = row
                    while last + 1 < len(self.sentences) and self.sentences[last + 1].doc == doc:
                        last += 1
                    tokens = self.encode([s.text for s in self.sentences[first : last + 1]])
                    df: dict[str, int] = {}
                    for t in tokens:
                        for p in set(t.pieces):
                            df[p] = df.get(p, 0) + 1
                    n = len(tokens)
                    starts = np.concatenate([[0], np.cumsum([len(t.pieces) for t in tokens])]).astype(np.int64)
                    op = _Op(
                        first,
                        starts,
                        np.concatenate([t.vectors for t in tokens]),
                        {p: math.log(1 + n / c) for p, c in df.items()},
                        math.log(1 + n),
                    )
                    self._ops[doc] = op
        return op

    def content(self, query: TokenVectors) -> list[int]:
        """Positions of the wordpieces that belong to the question's content words."""
        by_word: dict[int, list[int]] = {}
        for i, w in enumerate(query.words):
            by_word.setdefault(w, []).append(i)
        keep: list[int] = []
        for positions in by_word.values():
            word = "".join(query.pieces[i].removeprefix("##") for i in positions)
            if set(terms(word)) - self.ignore:
                keep += positions
        return keep

    def scores(self, query: TokenVectors | None, rows: list[int]) -> np.ndarray:
        """For each sentence row: the mean, over the question's content wordpieces weighted by
        their IDF in that sentence's op-ed, of the best cosine to a wordpiece of the sentence (0
        for all when the question has no content words, or no wordpiece vectors)."""
        keep = self.content(query) if query is not None else []
        if not keep or not rows:
            return np.zeros(len(rows), dtype=np.float32)
        assert query is not None
        q = query.vectors[keep]
        best: dict[int, float] = {}
        # an op-ed's rows are consecutive, and so are their wordpieces: one matrix product per
        # run of consecutive rows, on a view of the op-ed's wordpiece matrix (no copy)
        for run in _runs(sorted(set(rows)), self.sentences):
            op = self._op(self.sentences[run[0]].doc, run[0])
            weights = np.array([op.idf.get(query.pieces[i], op.idf_unknown) for i in keep], dtype=np.float32)
            weights /= weights.sum()
            a, b = run[0] - op.first, run[-1] - op.first
            base = int(op.starts[a])
            sims = q @ op.matrix[base : int(op.starts[b + 1])].T  # (content pieces, run's pieces)
            per_row = weights @ np.maximum.reduceat(sims, op.starts[a : b + 1] - base, axis=1)
            best.update(zip(run, per_row.tolist()))
        return np.array([best[r] for r in rows], dtype=np.float32)


def _runs(rows: list[int], sentences: Sequence[_Sentence]) -> list[list[int]]:
    """Sorted rows cut into runs of consecutive ones of the same op-ed."""
    out: list[list[int]] = []
    for r in rows:
        if out and r == out[-1][-1] + 1 and sentences[r].doc == sentences[out[-1][-1]].doc:
            out[-1].append(r)
        else:
            out.append([r])
    return out
