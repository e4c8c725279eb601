"""Where builds live: Chroma on local disk, or a Chroma server that several machines share.

A build is two vector collections (chunks, sentences) plus three small JSON records (the
documents, the document map, the manifest), and one pointer says which build is served. Both
places offer the same few operations, so ``index.store`` builds, swaps and loads the same way
against either:

* ``LocalChroma`` (the default): ``builds/<id>/chroma`` is a ``PersistentClient`` folder, the
  records are files beside it, ``CURRENT`` is a file replaced atomically, and a file lock keeps
  two builds from running at once in one data dir.
* ``ChromaServer`` (``OPEDBOT_CHROMA_URL``, a server started with ``chroma run``): a build is
  collections named ``ob-<id>-chunks``, ``ob-<id>-sentences`` and ``ob-<id>-records`` (the JSON
  records as documents), and the pointer is one record of the collection ``ob-current``. Any
  ``opedbot serve`` pointed at the server sees a new build as soon as the pointer moves: no data
  dir is shared between machines. Chroma has no cross-client lock: run one ``opedbot index``
  against a server at a time (two at once each write a complete build; the last one is served).

In both, the manifest is written last and the pointer moved after it, so a build that dies
half-way is never served, and readers load a build whole into memory and never write to it.

Reading a local build is done by a child process over a private copy of its Chroma folder:
Chroma rewrites its files whenever a client opens them (so two processes opening one served
build would both write to it, and a read-only data dir could not be served), and a damaged
segment file can make it crash the process (SIGSEGV) instead of raising. The child takes that
risk, and its death is reported as a damaged build.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np

from index.chunking import Span
from index.errors import IndexCorruptError, OpedbotError

CHUNKS = "chunks"
SENTENCES = "sentences"


def span_meta(s: Span) -> dict:
    return {"doc": s.doc, "paragraph": s.paragraph, "start": s.start, "end": s.end}


def _settings():
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


def _add(col, spans: list[Span], vectors: np.ndarray, batch: int = 2000) -> None:
    for i in range(0, len(spans), batch):
        part = spans[i : i + batch]
        col.add(
            ids=[s.id for s in part],
            documents=[s.text for s in part],
            metadatas=[span_meta(s) for s in part],
            embeddings=vectors[i : i + batch].tolist(),
        )


class BuildPlace(Protocol):
    """What ``index.store.IndexStore`` needs from where builds live."""

    def describe(self) -> str: ...
    def lock(self) -> contextlib.AbstractContextManager: ...
    def current_id(self) -> str | None: ...
    def set_current(self, build_id: str) -> None: ...
    def builds(self) -> list[str]: ...
    def drop(self, build_id: str) -> None: ...
    def write_collection(self, build_id: str, name: str, spans: list[Span], vectors: np.ndarray) -> None: ...
    def write_record(self, build_id: str, name: str, text: str) -> None: ...
    def read_record(self, build_id: str, name: str) -> str | None: ...
    def read_collections(self, build_id: str, names: tuple[str, ...], ids: list[str] | None = None) -> dict[str, dict[str, Any]]: ...


_READER = """
import json, pickle, shutil, sys, tempfile
import numpy as np
import chromadb
from chromadb.config import Settings
src, names, request, out = sys.argv[1], sys.argv[2].split(","), sys.argv[3], sys.argv[4]
ids = json.load(open(request))
with tempfile.TemporaryDirectory() as tmp:
    shutil.copytree(src, tmp + "/chroma")
    client = chromadb.PersistentClient(path=tmp + "/chroma", settings=Settings(anonymized_telemetry=False, allow_reset=False))
    result = {}
    for name in names:
        got = client.get_collection(name).get(ids=ids, include=["documents", "metadatas", "embeddings"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1)
        result[name] = {"ids": got["ids"], "documents": got["documents"], "metadatas": got["metadatas"], "embeddings": vectors}
with open(out, "wb") as f:
    pickle.dump(result, f)
"""


class LocalChroma:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.builds_dir = self.data_dir / "builds"
        self.current_file = self.data_dir / "CURRENT"

    def describe(self) -> str:
        return str(self.data_dir)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / ".build.lock", "w") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OpedbotError(f"another build is running in {self.data_dir}; try again when it ends") from None
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def current_id(self) -> str | None:
        try:
            return self.current_file.read_text("utf-8").strip()
        except FileNotFoundError:
            return None

    def set_current(self, build_id: str) -> None:
        atomic_write(self.current_file, build_id)

    def builds(self) -> list[str]:
        return sorted(p.name for p in self.builds_dir.iterdir()) if self.builds_dir.is_dir() else []

    def drop(self, build_id: str) -> None:
        shutil.rmtree(self.builds_dir / build_id, ignore_errors=True)

    def _path(self, build_id: str) -> Path:
        if not build_id or "/" in build_id or ".." in build_id or "\\" in build_id:
            raise OpedbotError(f"not a build id: {build_id!r}")
        return self.builds_dir / build_id

    def _client(self, build_id: str):
        import chromadb

        return chromadb.PersistentClient(path=str(self._path(build_id) / "chroma"), settings=_settings())

    def write_collection(self, build_id: str, name: str, spans: list[Span], vectors: np.ndarray) -> None:
        self._path(build_id).mkdir(parents=True, exist_ok=True)
        col = self._client(build_id).create_collection(name, embedding_function=None, metadata={"hnsw:space": "cosine"})
        if spans:
            _add(col, spans, vectors)

    def write_record(self, build_id: str, name: str, text: str) -> None:
        self._path(build_id).mkdir(parents=True, exist_ok=True)
        atomic_write(self._path(build_id) / name, text)

    def read_record(self, build_id: str, name: str) -> str | None:
        try:
            return (self._path(build_id) / name).read_text("utf-8")
        except (OSError, UnicodeDecodeError, OpedbotError):
            return None

    def read_collections(self, build_id: str, names: tuple[str, ...], ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
        path = self._path(build_id) / "chroma"
        if not (path / "chroma.sqlite3").is_file():  # Chroma would create an empty one
            raise IndexCorruptError(f"build {build_id} has no Chroma files")
        with tempfile.TemporaryDirectory(prefix="opedbot-read-") as tmp:
            request, out = Path(tmp) / "ids.json", Path(tmp) / "out.pickle"
            request.write_text(json.dumps(ids))
            try:
                done = subprocess.run(
                    [sys.executable, "-c", _READER, str(path), ",".join(names), str(request), str(out)],
                    capture_output=True,
                    text=True,
                    timeout=1800,
                    env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
                )
            except subprocess.TimeoutExpired:
                raise IndexCorruptError(f"reading build {build_id} did not finish in 30 minutes") from None
            if done.returncode != 0 or not out.is_file():
                if done.returncode < 0:
                    why = f"Chroma crashed reading it (signal {-done.returncode})"
                else:
                    why = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
                raise IndexCorruptError(f"build {build_id} is damaged: {why}")
            with open(out, "rb") as f:
                return pickle.load(f)


class ChromaServer:
    POINTER = "ob-current"

    def __init__(self, url: str) -> None:
        u = urlparse(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise OpedbotError(f"OPEDBOT_CHROMA_URL must look like http://HOST:PORT, got {url!r}")
        self.url = url
        self._host, self._port, self._ssl = u.hostname, u.port or (443 if u.scheme == "https" else 8000), u.scheme == "https"
        self._c = None

    def describe(self) -> str:
        return f"the Chroma server at {self.url}"

    @property
    def client(self):
        if self._c is None:
            import chromadb

            try:
                self._c = chromadb.HttpClient(host=self._host, port=self._port, ssl=self._ssl, settings=_settings())
            except Exception as exc:  # connection refused, wrong port, not a Chroma server
                raise OpedbotError(f"cannot reach the Chroma server at {self.url} ({exc}); start it with `chroma run`") from None
        return self._c

    def lock(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def _talking(self) -> Iterator[None]:
        """Any failure of the server (gone, restarted, refusing) as an error naming it."""
        try:
            yield
        except OpedbotError:
            raise
        except Exception as exc:
            raise OpedbotError(f"the Chroma server at {self.url} failed: {exc}") from None

    def _name(self, build_id: str, part: str) -> str:
        return f"ob-{build_id}-{part}"

    def current_id(self) -> str | None:
        with self._talking():
            got = self.client.get_or_create_collection(self.POINTER, embedding_function=None).get(ids=["current"], include=["metadatas"])
        return str(got["metadatas"][0]["build_id"]) if got["ids"] else None

    def set_current(self, build_id: str) -> None:
        with self._talking():
            col = self.client.get_or_create_collection(self.POINTER, embedding_function=None)
            col.upsert(ids=["current"], documents=[build_id], metadatas=[{"build_id": build_id}], embeddings=[[1.0]])

    def builds(self) -> list[str]:
        with self._talking():
            names = [c.name for c in self.client.list_collections()]
        return sorted({n[3:-8] for n in names if n.startswith("ob-") and n.endswith("-records")})

    def drop(self, build_id: str) -> None:
        for part in (CHUNKS, SENTENCES, "records"):
            with contextlib.suppress(Exception):
                self.client.delete_collection(self._name(build_id, part))

    def write_collection(self, build_id: str, name: str, spans: list[Span], vectors: np.ndarray) -> None:
        with self._talking():
            col = self.client.create_collection(self._name(build_id, name), embedding_function=None, metadata={"hnsw:space": "cosine"})
            if spans:
                _add(col, spans, vectors)

    def write_record(self, build_id: str, name: str, text: str) -> None:
        with self._talking():
            col = self.client.get_or_create_collection(self._name(build_id, "records"), embedding_function=None)
            col.upsert(ids=[name], documents=[text], embeddings=[[1.0]])

    def read_record(self, build_id: str, name: str) -> str | None:
        from chromadb.errors import NotFoundError

        with self._talking():
            try:
                got = self.client.get_collection(self._name(build_id, "records")).get(ids=[name], include=["documents"])
            except (NotFoundError, ValueError):  # no such build
                return None
        return got["documents"][0] if got["ids"] else None

    def read_collections(self, build_id: str, names: tuple[str, ...], ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
        include = ["documents", "metadatas", "embeddings"]
        with self._talking():
            return {n: self.client.get_collection(self._name(build_id, n)).get(ids=ids, include=include) for n in names}


def place_for(data_dir: Path, chroma_url: str | None) -> BuildPlace:
    return ChromaServer(chroma_url) if chroma_url else LocalChroma(data_dir)


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
