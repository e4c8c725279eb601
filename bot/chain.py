"""The retrieval chain, as LangChain runnables, and the ``Bot`` that every interface calls.

    prepare (follow-up rewrite) | retrieve (MiniLM + Chroma + BM25, fused) | answer | verify

The question is validated before the chain runs, so bad input never reaches a model. Every
answer leaves through ``bot.quotes.finalize``: no unverified quote reaches a user, whatever
the answerer. Heavy parts (the model, the index) load once, lazily, on first use.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from bot.answerers.base import refusal
from bot.answerers.extractive import ExtractiveAnswerer
from bot.config import Settings
from bot.followup import condense
from bot.metadata import MetadataAnswerer
from bot.quotes import finalize
from bot.retrieval import HybridRetriever
from bot.schema import Answer
from bot.text import focus
from bot.validation import clean_history, clean_question
from index.embeddings import MiniLMEmbeddings
from index.errors import IndexMissingError
from index.store import IndexStore, LoadedIndex


@dataclass
class Turn:
    """State passed along the chain."""

    question: str
    history: list[dict]
    text: str = ""  # the question as used for retrieval: markup and padded instructions removed
    t0: float = field(default_factory=time.perf_counter)
    query: str = ""
    vector: Any = None
    own: tuple | None = None  # a follow-up's own words and vector, beside the joined query
    hits: list = field(default_factory=list)
    draft: Any = None  # a Draft once the answer step ran
    timings: dict[str, float] = field(default_factory=dict)


class Bot:
    def __init__(self, settings: Settings, embedder: MiniLMEmbeddings | None = None, store: IndexStore | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or MiniLMEmbeddings(settings.embedding_model)
        self.store = store or IndexStore(settings.data_dir, self.embedder)
        self._lock = threading.Lock()
        self._loaded: tuple[LoadedIndex, Runnable] | None = None

    # -- loading
    def load(self, build_if_missing: bool = False) -> LoadedIndex:
        with self._lock:
            if self._loaded is None:
                try:
                    index = self.store.load()
                except IndexMissingError:
                    if not build_if_missing:
                        raise
                    self.store.build()
                    index = self.store.load()
                self._loaded = (index, self._build_chain(index))
            return self._loaded[0]

    def reload(self) -> LoadedIndex:
        with self._lock:
            self._loaded = None
        return self.load()

    @property
    def index(self) -> LoadedIndex:
        return self.load()

    def _build_chain(self, index: LoadedIndex) -> Runnable:
        retriever = HybridRetriever(index, k=self.settings.top_k)
        answerer = ExtractiveAnswerer(index)
        metadata = MetadataAnswerer(index, self.embedder)
        embedder = self.embedder

        def prepare(turn: Turn) -> Turn:
            turn.text = focus(turn.question)
            turn.query = condense(turn.text, turn.history)
            return turn

        def retrieve(turn: Turn) -> Turn:
            t = time.perf_counter()
            if turn.query != turn.text:
                turn.vector, own_vector = embedder.encode([turn.query, turn.text])
                turn.own = (turn.text, own_vector)
            else:
                turn.vector = embedder.encode_one(turn.query)
            turn.hits = retriever.retrieve(turn.query, turn.vector)
            turn.timings["retrieve"] = (time.perf_counter() - t) * 1000
            return turn

        def answer(turn: Turn) -> Turn:
            t = time.perf_counter()
            draft = answerer.answer(turn.text, turn.query, turn.vector, turn.hits, turn.own)
            best = max((h.cosine for h in turn.hits), default=0.0)
            intent = metadata.intent(turn.vector, best)
            if intent is not None:
                doc = index.documents[turn.hits[0].chunk.doc] if turn.hits else next(iter(index.documents.values()))
                draft = metadata.answer(intent, doc)
            turn.draft = draft
            turn.timings["answer"] = (time.perf_counter() - t) * 1000
            return turn

        def verify(turn: Turn) -> Answer:
            draft = turn.draft
            checked = finalize(draft.answer, draft.quotes, index.documents)
            if draft.quotes and not checked.quotes:  # nothing it quoted is in the op-ed
                draft = refusal(index, reason="no quote survived verification")
                checked = finalize(draft.answer, [], index.documents)
            answered = draft.answered
            turn.timings["total"] = (time.perf_counter() - turn.t0) * 1000
            return Answer(
                question=turn.question,
                answer=checked.answer,
                answered=answered,
                quotes=checked.quotes,
                backend=answerer.name,
                timings_ms=turn.timings,
                retrieved=[{"doc": h.chunk.doc, "start": h.chunk.start, "end": h.chunk.end} for h in turn.hits],
            )

        return (
            RunnableLambda(prepare, name="prepare")
            | RunnableLambda(retrieve, name="retrieve")
            | RunnableLambda(answer, name="answer")
            | RunnableLambda(verify, name="verify")
        )

    # -- asking
    def ask(self, question: object, history: object = None, id: str | None = None) -> Answer:
        s = self.settings
        q = clean_question(question, s.max_question_chars)
        h = clean_history(history, s.max_history_turns, s.max_history_chars)
        self.load()
        assert self._loaded is not None
        result: Answer = self._loaded[1].invoke(Turn(q, h))
        result.id = id
        return result
