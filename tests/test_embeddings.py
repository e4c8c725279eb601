"""Query embeddings are micro-batched across concurrent callers: the vectors must be the ones a
direct model call gives, in the right order for each caller, and a failure must reach every
caller waiting on the batch instead of leaving one hanging."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from index.embeddings import _Batcher

pytestmark = pytest.mark.slow


def test_concurrent_questions_get_their_own_vectors(embedder):
    questions = [f"What does the op-ed say about topic number {i}?" for i in range(60)]
    direct = embedder.encode(questions)
    with ThreadPoolExecutor(max_workers=20) as pool:
        batched = list(pool.map(embedder.encode_one, questions))
    assert np.allclose(np.stack(batched), direct, atol=1e-5)
    pair = embedder.encode_queries(["first question about talks", "second about NACTA"])
    assert np.allclose(pair, embedder.encode(["first question about talks", "second about NACTA"]), atol=1e-5)


def test_a_failed_batch_reaches_every_caller():
    def broken(texts):
        raise RuntimeError("model fell over")

    batcher = _Batcher(broken)
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(batcher.encode, [f"q{i}"]) for i in range(16)]
        for f in futures:
            with pytest.raises(RuntimeError, match="fell over"):
                f.result(timeout=10)
