"""``Bot``: the one object every edge holds. It loads the index and the model once, lazily,
builds the pipeline's ``Parts`` over them, and answers validated requests.

Loading reports its steps ("loading index", "loading model", "building index", "warming up")
to a callback, which is how the server's /readyz can say what it is waiting for.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import replace

from bot import answerers, pipeline, prose
from bot.answerers.conversation import ConversationAnswerer
from bot.answerers.guard import GuardAnswerer
from bot.answerers.metadata import MetadataAnswerer
from bot.answerers.overview import OverviewAnswerer
from bot.config import Settings
from bot.retrieval import HybridRetriever
from bot.schema import Answer
from bot.spelling import Speller
from bot.turn import Draft, Request
from bot.wording import compose
from index.embeddings import MiniLMEmbeddings
from index.errors import IndexMissingError
from index.store import IndexStore, LoadedIndex
from index.store import Progress as BuildProgress
from index.vectordb import place_for

Progress = Callable[[str], None]


def _quiet(_step: str) -> None:
    pass


def embedder_for(settings: Settings) -> MiniLMEmbeddings:
    return MiniLMEmbeddings(settings.embedding_model, runtime=settings.embedding_runtime, threads=settings.embed_threads)


def open_store(settings: Settings, embedder: MiniLMEmbeddings | None = None, progress: BuildProgress | None = None) -> IndexStore:
    """The index store the settings point at: the data dir, or the Chroma server of
    ``OPEDBOT_CHROMA_URL`` (the document registry stays in the data dir either way)."""
    embedder = embedder or embedder_for(settings)
    place = place_for(settings.data_dir, settings.chroma_url)
    return IndexStore(settings.data_dir, embedder, place=place, **({"progress": progress} if progress else {}))


class Bot:
    def __init__(self, settings: Settings, embedder: MiniLMEmbeddings | None = None, store: IndexStore | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or embedder_for(settings)
        self.store = store or open_store(settings, self.embedder)
        answerers.factory(settings.backend)  # an unknown backend fails here, before any loading
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._cache: OrderedDict[tuple, Answer] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._parts: pipeline.Parts | None = None

    def load(self, build_if_missing: bool = False, progress: Progress = _quiet) -> LoadedIndex:
        """Load the served index and build the pipeline over it (once); with
        ``build_if_missing``, build the index first when there is none."""
        with self._lock:
            if self._parts is None:
                try:
                    progress("loading index")
                    index = self.store.load()
                except IndexMissingError:
                    if not build_if_missing:
                        raise
                    progress("loading model")
                    self.embedder.encode(["load the model"])
                    progress("building index")
                    self.store.build()
                    progress("loading index")
                    index = self.store.load()
                progress("loading model")
                self._parts = self._build_parts(index)
            return self._parts.index

    def _build_parts(self, index: LoadedIndex) -> pipeline.Parts:
        backend = answerers.create(self.settings.backend, index, embedder=self.embedder, settings=self.settings)
        return pipeline.Parts(
            index=index,
            embedder=self.embedder,
            retriever=HybridRetriever(index, k=self.settings.top_k),
            answerers=(
                GuardAnswerer(index),
                ConversationAnswerer(index),
                OverviewAnswerer(index, self.embedder),
                MetadataAnswerer(index, self.embedder),
                backend,
            ),
            backend=self.settings.backend,
            speller=Speller(index, self.embedder.words()),
        )

    @property
    def index(self) -> LoadedIndex:
        return self.load()

    @property
    def parts(self) -> pipeline.Parts:
        """What the pipeline steps run with (loaded index, embedder, retriever, answerers), for
        tools that walk a question through the steps themselves (``opedbot calibrate``)."""
        self.load()
        assert self._parts is not None
        return self._parts

    def refresh(self) -> str | None:
        """Swap to the served build when it is no longer the one loaded (``opedbot index add``
        ran, here or against the same Chroma server); the new build's id, or None when nothing
        changed. Questions already running finish on the build they started with; a build that
        cannot be loaded leaves the current one answering."""
        if self._parts is None:
            return None
        with self._refreshing:
            current = self.store.place.current_id()
            if current is None or current == self._parts.index.build_id:
                return None
            parts = self._build_parts(self.store.load())
            self._parts = parts  # one reference swap: the next question runs on the new build
            return parts.index.build_id

    def ask(self, request: Request) -> Answer:
        """Answer a request made by ``bot.validation.parse_request`` (the edges' one check)."""
        if self._writer() is None:
            return self._answer(request)
        *_, (_, final) = self.ask_stream(request)
        assert isinstance(final, Answer)
        return final

    def ask_stream(self, request: Request) -> Iterator[tuple[str, str | Answer]]:
        """The answer as it is made: ``("delta", text)`` pieces, then ``("answer", Answer)``.
        With a prose lead (``OPEDBOT_LLM_PROSE``) the pieces are the model's words as it writes
        them, released by ``bot.prose.gate``; otherwise the finished text, a few words at a time."""
        answer = self._answer(request)
        writer = self._writer()
        if writer is None or not answer.answered or not answer.quotes:
            for piece in _words(answer.answer):
                yield "delta", piece
            yield "answer", answer
            return
        yield from self._with_prose(answer, writer)

    def _writer(self) -> Callable[[str, list], Iterator[str]] | None:
        if not self.settings.llm_prose:
            return None
        self.load()
        assert self._parts is not None
        return getattr(self._parts.answerers[-1], "lead_stream", None)

    def _with_prose(self, answer: Answer, writer) -> Iterator[tuple[str, str | Answer]]:
        from bot.answerers.selector import CANARY

        answer = replace(answer, timings_ms=dict(answer.timings_ms))  # the cached answer stays as it was
        docs = self.index.documents
        verify = prose.verifier(answer.quotes, {d: doc.text for d, doc in docs.items()})
        released: list[str] = []
        note = None
        t0 = time.perf_counter()
        try:
            for piece in prose.gate(writer(answer.question, answer.quotes), len(answer.quotes), verify):
                if not released:
                    answer.timings_ms["first_token"] = (time.perf_counter() - t0) * 1000
                released.append(piece)
                yield "delta", piece
        except Exception as exc:  # the model failed mid-way: the template lead stands
            note = f"the model's lead failed ({type(exc).__name__}); the quotes are introduced as usual"
        lead = prose.check_lead("".join(released), answer.quotes, answer.question, forbidden=(CANARY, "<|im_", "im_start"))
        answer.timings_ms["prose"] = (time.perf_counter() - t0) * 1000
        if not lead:
            yield (
                "answer",
                replace(answer, fallback=answer.fallback or note or "the model's lead cited no quote; the quotes are introduced as usual"),
            )
            return
        draft = Draft(True, answer.quotes, lead, answer.hint)
        yield "answer", replace(answer, lead=lead, answer=compose(draft, docs))

    def _answer(self, request: Request) -> Answer:
        if not isinstance(request, Request):
            raise TypeError("Bot.ask takes a Request from bot.validation.parse_request")
        self.load()
        parts = self._parts
        assert parts is not None
        size = self.settings.answer_cache
        if size <= 0:
            return pipeline.run(parts, request)
        # The same question in the same conversation on the same build gets the same answer:
        # the repeats a public widget sees (its suggested questions) cost a dictionary lookup.
        t0 = time.perf_counter()
        key = (request.question, json.dumps(request.history, sort_keys=True), parts.index.build_id)
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
        if hit is not None:
            return replace(hit, id=request.id, timings_ms={"cached": (time.perf_counter() - t0) * 1000})
        answer = pipeline.run(parts, request)
        if answer.fallback is None:  # a model that failed now may answer next time
            with self._cache_lock:
                self._cache[key] = answer
                while len(self._cache) > size:
                    self._cache.popitem(last=False)
        return answer


def _words(text: str, size: int = 3) -> list[str]:
    """Text in pieces of a few words, whitespace kept, for streaming a finished answer."""
    words = text.split(" ")
    return [" ".join(words[i : i + size]) + (" " if i + size < len(words) else "") for i in range(0, len(words), size)]
