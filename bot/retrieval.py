"""Hybrid retrieval: vector search over the loaded build plus BM25 keyword scores, fused by
reciprocal rank.

Vectors find paraphrases, BM25 finds rare exact terms (names, acronyms such as NACTA) that
MiniLM blurs; reciprocal rank fusion (Cormack et al., 2009) combines the two rankings without
having to put cosine and BM25 scores on one scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rank_bm25 import BM25Okapi

from bot.text import terms
from index.chunking import Span
from index.store import LoadedIndex

RRF_K = 60


@dataclass(frozen=True)
class Hit:
    chunk: Span
    cosine: float  # the chunk's cosine to the query (0 when only BM25 found it)


class HybridRetriever:
    def __init__(self, index: LoadedIndex, k: int = 6, fetch_k: int = 20) -> None:
        self.index = index
        self.k = k
        self.fetch_k = fetch_k
        self._chunk_terms = [terms(c.text) for c in index.chunks]
        self._bm25 = BM25Okapi(self._chunk_terms) if index.chunks else None
        self._pos = {c.id: i for i, c in enumerate(index.chunks)}

    def retrieve(self, query: str, query_vector: np.ndarray, k: int | None = None) -> list[Hit]:
        k = k or self.k
        if not self.index.chunks:
            return []
        vec_hits = self.index.vector_search(query_vector, self.fetch_k)
        vec_rank = {span.id: r for r, (span, _) in enumerate(vec_hits)}
        cosine = {span.id: score for span, score in vec_hits}
        q_terms = terms(query)
        bm25 = self._bm25.get_scores(q_terms) if (q_terms and self._bm25) else np.zeros(len(self.index.chunks))
        order = np.argsort(-bm25, kind="stable")[: self.fetch_k]
        bm25_rank = {self.index.chunks[i].id: r for r, i in enumerate(order) if bm25[i] > 0}
        fused: dict[str, float] = {}
        for ranks in (vec_rank, bm25_rank):
            for cid, r in ranks.items():
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + r + 1)
        best = sorted(fused.items(), key=lambda kv: -kv[1])[:k]
        chunks = self.index.chunks
        return [Hit(chunks[self._pos[cid]], cosine.get(cid, 0.0)) for cid, _ in best]
