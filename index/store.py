"""The Chroma index: built aside, swapped in whole, never modified once served.

Layout of the data dir::

    documents/<id>.json      the registered documents (source list for the next build)
    builds/<build-id>/       one complete build: chroma/ (PersistentClient) + manifest.json
    CURRENT                  the name of the build being served (replaced atomically)
    .build.lock              held while a build runs

With ``OPEDBOT_CHROMA_URL`` the builds and the pointer live on a Chroma server instead and only
the document registry stays in the data dir (``index.vectordb`` holds both places).

A build writes into a fresh place and writes ``manifest.json`` last; only then is ``CURRENT``
replaced, so a build that dies half-way leaves the previous index served and its own remains
are swept by the next build. A build whose content hash (documents, chunker, model) equals the
served one's does no work. Embeddings of unchanged chunks are copied from the served build
rather than recomputed. A served build is read whole into memory (vectors included) and
searched there: readers never write to it, so a read-only data dir can be served.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from index.builtin import default_document
from index.chunking import CHUNKER_VERSION, Span, chunk_document, split_sentences
from index.docmap import MAP_VERSION, DocMap, build_maps
from index.documents import Document
from index.embeddings import MODEL_ID, MiniLMEmbeddings
from index.errors import IndexCorruptError, IndexMissingError, OpedbotError
from index.vectordb import CHUNKS, SENTENCES, BuildPlace, LocalChroma, atomic_write

T = TypeVar("T")

log = logging.getLogger("opedbot.index")

FORMAT_VERSION = 2  # 2: a document map (docmap.json) in every build

Progress = Callable[[str], None]


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class BuildResult:
    build_id: str
    changed: bool
    documents: int
    chunks: int
    sentences: int
    embedded: int
    seconds: float


@dataclass
class LoadedIndex:
    """A served build in memory: documents, spans and their vectors, document maps. ``path`` is
    a local folder for caches derived from the build (e.g. a model's prefix state)."""

    build_id: str
    path: Path
    documents: dict[str, Document]
    chunks: list[Span]
    sentences: list[Span]
    sentence_vectors: np.ndarray
    chunk_vectors: np.ndarray = field(repr=False)
    maps: dict[str, DocMap] = field(default_factory=dict, repr=False)  # per document, see index.docmap
    _by_id: dict[str, Span] = field(init=False, repr=False)

    _rows: dict[str, range] = field(init=False, repr=False)
    _derived: dict[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {c.id: c for c in self.chunks}
        self._derived = {}
        self._rows = {}
        for i, s in enumerate(self.sentences):  # sorted by (doc, start): one run per document
            r = self._rows.get(s.doc)
            self._rows[s.doc] = range(r.start if r else i, i + 1)

    def sentence_rows(self, doc: str) -> range:
        """Rows of ``sentences`` (and ``sentence_vectors``) that belong to ``doc``, in order:
        a document map's sentence index ``i`` is row ``sentence_rows(doc)[i]``."""
        return self._rows.get(doc, range(0))

    def derived(self, key: str, make: Callable[[], T]) -> T:
        """A value derived from this build (made by ``make`` the first time any answerer asks
        for ``key``), kept with the build and dropped with it: what several answerers look up
        is made once, and nothing is made at start-up for op-eds no question reaches. Two
        threads asking at once may both make it; the first one kept is the one used."""
        if key not in self._derived:
            self._derived.setdefault(key, make())
        return self._derived[key]

    def vector_search(self, query_vector: np.ndarray, k: int) -> list[tuple[Span, float]]:
        """Top-k chunks by cosine similarity: an exact search over the vectors in memory (a
        few thousand dot products take well under a millisecond; Chroma's HNSW query costs
        more than that per call at this size, and would touch the store on every question)."""
        k = min(k, len(self.chunks))
        if k == 0:
            return []
        scores = self.chunk_vectors @ query_vector
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.chunks[i], float(scores[i])) for i in top]


class IndexStore:
    def __init__(
        self, data_dir: Path, embedder: MiniLMEmbeddings, progress: Progress | None = _stderr, place: BuildPlace | None = None
    ) -> None:
        self.data_dir = Path(data_dir)
        self.embedder = embedder
        self.progress = progress or (lambda _msg: None)
        self.place: BuildPlace = place or LocalChroma(self.data_dir)

    # ---- paths
    @property
    def docs_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def builds_dir(self) -> Path:
        return self.data_dir / "builds"

    @property
    def current_file(self) -> Path:
        return self.data_dir / "CURRENT"

    # ---- documents registry
    def registered_documents(self) -> list[Document]:
        """The documents the next build will index: the shipped op-ed plus any added ones."""
        docs = {}
        if self.docs_dir.is_dir():
            for f in sorted(self.docs_dir.glob("*.json")):
                try:
                    d = Document.from_dict(json.loads(f.read_text("utf-8")))
                except (ValueError, TypeError, KeyError) as exc:
                    raise IndexCorruptError(f"unreadable document record {f}: {exc}") from None
                docs[d.id] = d
        if not docs:
            d = default_document()
            docs[d.id] = d
        return sorted(docs.values(), key=lambda d: d.id)

    def _register(self, docs: list[Document]) -> None:
        self.docs_dir.mkdir(parents=True, exist_ok=True)
        if not any(self.docs_dir.glob("*.json")):
            docs = [default_document(), *[d for d in docs if d.id != default_document().id]]
        for d in docs:
            atomic_write(self.docs_dir / f"{d.id}.json", json.dumps(d.to_dict(), ensure_ascii=False))

    # ---- building
    def content_hash(self, docs: list[Document]) -> str:
        h = sha256(f"{FORMAT_VERSION}|{CHUNKER_VERSION}|{MODEL_ID}|{MAP_VERSION}".encode())
        for d in docs:
            h.update(f"|{d.id}:{d.sha256}".encode())
        return h.hexdigest()

    def current_manifest(self) -> dict | None:
        build_id = self.place.current_id()
        if build_id is None:
            return None
        text = self.place.read_record(build_id, "manifest.json")
        try:
            data = json.loads(text) if text else None
        except ValueError:
            data = None
        fields = {"build_id": str, "content_hash": str, "chunks": int, "sentences": int}
        if not isinstance(data, dict) or any(not isinstance(data.get(k), t) for k, t in fields.items()) or data["build_id"] != build_id:
            raise IndexCorruptError(f"served build {build_id!r} has no readable manifest; run `opedbot index --force`")
        return data

    def build(self, force: bool = False) -> BuildResult:
        """Index the registered documents, unless the served index already matches them."""
        return self._build(self.registered_documents(), register=[], force=force)

    def add(self, docs: list[Document], replace: bool = False) -> BuildResult:
        """Register and index more documents. An id already registered is an error unless
        ``replace``: a new file never silently takes an existing document's place."""
        ids = [d.id for d in docs]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise OpedbotError(f"two files map to the same document id: {', '.join(sorted(dupes))}; give each its own --id")
        merged = {d.id: d for d in self.registered_documents()}
        taken = sorted(i for i in ids if i in merged and merged[i].sha256 != next(d for d in docs if d.id == i).sha256)
        if taken and not replace:
            raise OpedbotError(f"{self._taken(taken, merged, docs)}: add with --replace to update it, or --id to keep both")
        merged.update({d.id: d for d in docs})
        return self._build(sorted(merged.values(), key=lambda d: d.id), register=docs, force=False)

    @staticmethod
    def _taken(ids: list[str], current: dict[str, Document], docs: list[Document]) -> str:
        """Why adding these ids would replace documents: what differs, and for the shipped op-ed
        that every index starts with it (adding its own file to a new data dir lands here)."""
        parts = []
        for i in ids:
            new = next(d for d in docs if d.id == i)
            what = "with the same text but another title, date or author" if current[i].text == new.text else "with other text"
            shipped = " (the shipped op-ed, which every index starts with)" if i == default_document().id else ""
            parts.append(f"{i} is already indexed{shipped} {what}")
        return "document id " + "; ".join(parts)

    def remove(self, ids: list[str]) -> BuildResult:
        """Unregister documents and rebuild without them (the shipped op-ed included, so an
        index can hold only your own). The last document cannot be removed."""
        current = {d.id: d for d in self.registered_documents()}
        unknown = sorted(set(ids) - set(current))
        if unknown:
            raise OpedbotError(f"no document {', '.join(unknown)} in the index (see `opedbot docs`)")
        keep = [d for i, d in current.items() if i not in ids]
        if not keep:
            raise OpedbotError("cannot remove every document: add another first")
        result = self._build(keep, register=keep, force=False)
        for i in ids:
            (self.docs_dir / f"{i}.json").unlink(missing_ok=True)
        return result

    def _build(self, docs: list[Document], register: list[Document], force: bool) -> BuildResult:
        """Build aside, then swap; a disk that is full or read-only is an error that says so, and
        what it leaves behind is swept by the next build."""
        try:
            return self._build_locked(docs, register, force)
        except OSError as exc:
            raise OpedbotError(
                f"could not write the index in {self.place.describe()}: {exc.strerror or exc}; the index served before is untouched"
            ) from None

    def _build_locked(self, docs: list[Document], register: list[Document], force: bool) -> BuildResult:
        t0 = time.perf_counter()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.place.lock():
            chash = self.content_hash(docs)
            current = self._current_or_none()
            if current and current.get("content_hash") == chash and not force:
                self._register(register)
                self.progress(f"index is up to date ({current['build_id']}): nothing to do")
                return BuildResult(
                    current["build_id"], False, len(docs), current["chunks"], current["sentences"], 0, time.perf_counter() - t0
                )
            self._sweep(keep={current["build_id"]} if current else set())
            build_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{chash[:8]}-{uuid.uuid4().hex[:6]}"
            sentences = [s for d in docs for s in split_sentences(d)]
            chunks = [c for d in docs for c in chunk_document(d, [s for s in sentences if s.doc == d.id])]
            spans = chunks + sentences
            self.progress(f"indexing {len(docs)} document(s): {len(chunks)} chunks, {len(sentences)} sentences")
            vectors, embedded = self._embeddings_for(spans, current)
            place = self.place
            place.write_collection(build_id, CHUNKS, chunks, vectors[: len(chunks)])
            place.write_collection(build_id, SENTENCES, sentences, vectors[len(chunks) :])
            place.write_record(build_id, "documents.json", json.dumps([d.to_dict() for d in docs], ensure_ascii=False))
            maps = build_maps(sorted(sentences, key=lambda s: (s.doc, s.start)), _rows_by_position(sentences, vectors[len(chunks) :]))
            place.write_record(build_id, "docmap.json", json.dumps({k: m.to_dict() for k, m in maps.items()}, ensure_ascii=False))
            manifest = {
                "build_id": build_id,
                "format": FORMAT_VERSION,
                "content_hash": chash,
                "model": MODEL_ID,
                "chunker": CHUNKER_VERSION,
                "documents": [d.id for d in docs],
                "chunks": len(chunks),
                "sentences": len(sentences),
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
            place.write_record(build_id, "manifest.json", json.dumps(manifest, indent=1))
            self._register(register)
            place.set_current(build_id)
            self._sweep(keep={build_id} | ({current["build_id"]} if current else set()))
            secs = time.perf_counter() - t0
            self.progress(f"built index {build_id} in {secs:.2f}s ({embedded} new embeddings)")
            return BuildResult(build_id, True, len(docs), len(chunks), len(sentences), embedded, secs)

    def _current_or_none(self) -> dict | None:
        try:
            return self.current_manifest()
        except IndexCorruptError:
            return None

    def _embeddings_for(self, spans: list[Span], current: dict | None) -> tuple[np.ndarray, int]:
        """Vectors for spans, reusing those of the served build for unchanged span ids."""
        known: dict[str, list[float]] = {}
        if current:
            try:
                for got in self.place.read_collections(current["build_id"], (CHUNKS, SENTENCES), ids=[s.id for s in spans]).values():
                    known.update(zip(got["ids"], got["embeddings"]))
            except Exception:  # an unreadable old build only costs us the reuse
                known = {}
        missing = [s for s in spans if s.id not in known]
        if missing:
            fresh = self.embedder.encode([s.text for s in missing], show_progress=len(missing) > 64)
            known.update(zip((s.id for s in missing), fresh))
        vecs = np.asarray([known[s.id] for s in spans], dtype=np.float32).reshape(len(spans), -1)
        return vecs, len(missing)

    def _sweep(self, keep: set[str]) -> None:
        """Remove builds not kept: interrupted ones and those older than the previous."""
        for build_id in self.place.builds():
            if build_id not in keep:
                self.place.drop(build_id)

    # ---- loading
    def load(self) -> LoadedIndex:
        manifest = self.current_manifest()
        if manifest is None:
            raise IndexMissingError(f"no index in {self.data_dir}; build it with `opedbot index`")
        build_id = manifest["build_id"]
        try:
            docs = [Document.from_dict(d) for d in json.loads(self.place.read_record(build_id, "documents.json") or "null")]
            got = self.place.read_collections(build_id, (CHUNKS, SENTENCES))
            chunks, chunk_vectors = _ordered(got[CHUNKS])
            sentences, vectors = _ordered(got[SENTENCES])
        except OpedbotError as exc:
            if not isinstance(exc, IndexCorruptError):
                raise  # e.g. the Chroma server is unreachable: not a reason to rebuild
            raise IndexCorruptError(f"index {build_id} is unreadable ({exc}); run `opedbot index --force`") from None
        except Exception as exc:
            raise IndexCorruptError(f"index {build_id} is unreadable ({exc}); run `opedbot index --force`") from None
        if len(chunks) != manifest["chunks"] or len(sentences) != manifest["sentences"]:
            raise IndexCorruptError(
                f"index {build_id} is incomplete ({len(chunks)} of {manifest['chunks']} chunks, "
                f"{len(sentences)} of {manifest['sentences']} sentences); run `opedbot index --force`"
            )
        try:
            maps = {k: DocMap.from_dict(v) for k, v in json.loads(self.place.read_record(build_id, "docmap.json") or "null").items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IndexCorruptError(f"index {build_id} has no readable document map ({exc}); run `opedbot index --force`") from None
        if any(m.version != MAP_VERSION for m in maps.values()):
            # made by an older release: the map is derived from what was just loaded, so it is
            # remade in memory (milliseconds) rather than served stale; the build stays as it is
            log.info("document maps of %s predate %s: remade in memory (`opedbot index --force` stores them)", build_id, MAP_VERSION)
            maps = build_maps(sentences, vectors)
        path = self.builds_dir / build_id
        return LoadedIndex(build_id, path, {d.id: d for d in docs}, chunks, sentences, vectors, chunk_vectors, maps)


def _rows_by_position(sentences: list[Span], vectors: np.ndarray) -> np.ndarray:
    """``vectors`` (aligned with ``sentences``) reordered to (doc, start) order."""
    order = sorted(range(len(sentences)), key=lambda i: (sentences[i].doc, sentences[i].start))
    return vectors[order] if order else vectors


def _ordered(got: dict) -> tuple[list[Span], np.ndarray]:
    """A collection's spans in (doc, start) order, with their unit vectors in the same order."""
    spans = [
        Span(i, m["doc"], int(m["paragraph"]), int(m["start"]), int(m["end"]), t)
        for i, t, m in zip(got["ids"], got["documents"], got["metadatas"])
    ]
    order = sorted(range(len(spans)), key=lambda i: (spans[i].doc, spans[i].start))
    if not order:
        return [], np.zeros((0, 384), np.float32)
    vectors = np.asarray(got["embeddings"], dtype=np.float32)[order]
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return [spans[i] for i in order], vectors
