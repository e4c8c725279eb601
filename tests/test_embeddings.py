"""Query embeddings are micro-batched across concurrent callers: the vectors must be the ones a
direct model call gives, in the right order for each caller, and a failure must reach every
caller waiting on the batch instead of leaving one hanging."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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


def test_onnx_and_sentence_transformers_give_the_same_vectors(embedder):
    """The default runtime (ONNX) against sentence-transformers itself, on questions and on every
    sentence of the op-ed (long and short texts in one batch: padding must not leak in)."""
    from index.builtin import default_document
    from index.chunking import split_sentences
    from index.embeddings import MiniLMEmbeddings

    assert embedder.runtime == "onnx"
    texts = [s.text for s in split_sentences(default_document())] + ["Who brokered the talks?", "NACTA", "x" * 3000]
    onnx_vectors = embedder.encode(texts)
    torch_vectors = MiniLMEmbeddings(runtime="torch").encode(texts)
    assert onnx_vectors.shape == torch_vectors.shape == (len(texts), 384)
    assert np.abs(onnx_vectors - torch_vectors).max() < 1e-5
    assert np.allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)


def test_the_onnx_export_is_made_once_and_refuses_models_it_cannot_run(tmp_path):
    import json
    import shutil

    from index.embeddings import default_model_path
    from index.errors import OpedbotError
    from index.onnx_minilm import _check_layout, exported

    folder = default_model_path()
    first = exported(Path(folder))
    stamp = first.stat().st_mtime_ns
    assert exported(Path(folder)).stat().st_mtime_ns == stamp  # cached, not redone
    other = tmp_path / "model"
    shutil.copytree(folder, other)
    modules = json.loads((other / "modules.json").read_text())
    (other / "modules.json").write_text(json.dumps([*modules, {"idx": 3, "name": "3", "path": "3_Dense", "type": "x.Dense"}]))
    with pytest.raises(OpedbotError, match="only Transformer"):
        _check_layout(other)


def test_wordpiece_vectors_come_from_the_same_pass_on_both_runtimes(embedder):
    """``encode_with_tokens``: the same sentence vectors as ``encode``, each text's wordpieces
    without [CLS]/[SEP]/padding, unit vectors, and the same pieces and (within 1e-4) vectors from
    ONNX and sentence-transformers; the micro-batched query path gives the same as a direct call."""
    from index.embeddings import MiniLMEmbeddings

    texts = [
        "Trading lulls in fighting for jailed fighters",
        "NACTA",
        "A much longer sentence, so that the others are padded in the batch.",
    ]
    vectors, tokens = embedder.encode_with_tokens(texts)
    assert np.abs(vectors - embedder.encode(texts)).max() < 1e-5
    assert tokens[0].pieces == ["trading", "lu", "##lls", "in", "fighting", "for", "jailed", "fighters"]
    assert tokens[0].words == [0, 1, 1, 2, 3, 4, 5, 6]
    assert all(t.vectors.shape == (len(t.pieces), 384) for t in tokens)
    assert all(np.allclose(np.linalg.norm(t.vectors, axis=1), 1.0, atol=1e-5) for t in tokens)
    torch_vectors, torch_tokens = MiniLMEmbeddings(runtime="torch").encode_with_tokens(texts)
    assert np.abs(vectors - torch_vectors).max() < 1e-5
    for a, b in zip(tokens, torch_tokens):
        assert a.pieces == b.pieces and a.words == b.words
        assert np.abs(a.vectors - b.vectors).max() < 1e-4
    (queued_vector, queued_tokens), _ = embedder.encode_queries_with_tokens(texts[:2])
    assert np.abs(queued_vector - vectors[0]).max() < 1e-5 and queued_tokens.pieces == tokens[0].pieces


def test_importing_the_bot_keeps_numpy_to_one_blas_thread():
    """Set before numpy loads (``index.offline``): OpenBLAS's per-core threads fought the
    embedding model for the cores under concurrent questions. A user's own setting wins."""
    import subprocess
    import sys

    code = "import bot, os, numpy; print(os.environ['OPENBLAS_NUM_THREADS'])"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "1"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**env, "OPENBLAS_NUM_THREADS": "2"}, check=True)
    assert out.stdout.strip() == "2"
