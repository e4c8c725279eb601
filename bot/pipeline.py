"""The pipeline: a validated question in, an answer with verified quotes out. Read top to bottom.

    prepare   markup and padded instructions out, typing slips repaired; a follow-up joined to its context
              (bot.text, bot.spelling, bot.followup)
    retrieve  one MiniLM query vector; the loaded build's vectors + BM25, by rank  (bot.retrieval)
    answer    the first answerer that takes the turn: guard, follow-up, overview, metadata, backend
    verify    every quote checked at its offsets, the rest dropped; text rendered     (bot.quotes, bot.wording)

Each step is a plain function ``step(turn, parts) -> turn`` over the typed ``Turn``
(``bot.turn``); ``Parts`` carries what the steps use (index, embedder, retriever, answerers),
built once per loaded index. The steps are wired as LangChain runnables at the bottom of this
file, so a LangChain tracer or callback sees one run per question with a child per step, and
``PIPELINE.batch`` / config work as they do for any runnable.
"""

from __future__ import annotations

import inspect
import logging
import time
from dataclasses import dataclass

from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda

from bot.answerers import Answerer
from bot.followup import condense
from bot.quotes import finalize
from bot.retrieval import HybridRetriever
from bot.schema import Answer
from bot.spelling import Speller
from bot.text import expand_shorthand, focus, without_attribution
from bot.turn import Draft, Request, Turn
from bot.wording import compose, refusal
from index.embeddings import MiniLMEmbeddings
from index.store import LoadedIndex

log = logging.getLogger("opedbot.pipeline")


@dataclass(frozen=True)
class Parts:
    """What the steps need, built once per loaded index (``bot.service.Bot``)."""

    index: LoadedIndex
    embedder: MiniLMEmbeddings
    retriever: HybridRetriever
    answerers: tuple[Answerer, ...]  # asked in order; the last (the backend) always answers
    backend: str
    speller: Speller | None = None  # typing slips repaired against the op-ed's words (None: as typed)


def prepare(turn: Turn, parts: Parts) -> Turn:
    turn.text, turn.instructed = focus(turn.question)
    turn.text = expand_shorthand(turn.text)  # "last yr", "the govt"
    if parts.speller is not None:  # "acording to the writer": the word meant, not one the op-ed never uses
        turn.text, repairs = parts.speller.correct(turn.text)
        if repairs:
            log.debug("read %s", ", ".join(f"{typed!r} as {meant!r}" for typed, meant in repairs))
    turn.query = condense(turn.text, list(turn.history))
    return turn


def retrieve(turn: Turn, parts: Parts) -> Turn:
    t = time.perf_counter()
    # the vectors leave out "according to the writer" and the like (``without_attribution``)
    if turn.query != turn.text:  # a follow-up: its own words count beside the joined query
        (turn.vector, turn.tokens), (own_vector, turn.own_tokens) = parts.embedder.encode_queries_with_tokens(
            [without_attribution(turn.query), without_attribution(turn.text)]
        )
        turn.own = (turn.text, own_vector)
    else:
        ((turn.vector, turn.tokens),) = parts.embedder.encode_queries_with_tokens([without_attribution(turn.query)])
    turn.hits = parts.retriever.retrieve(turn.query, turn.vector)
    turn.timings["retrieve"] = (time.perf_counter() - t) * 1000
    return turn


def answer(turn: Turn, parts: Parts) -> Turn:
    t = time.perf_counter()
    for answerer in parts.answerers:
        draft = answerer.answer(turn)
        if draft is not None:
            turn.draft, turn.answerer = draft, answerer.name
            break
    backend = parts.answerers[-1]
    if turn.topical and turn.answerer == "overview" and turn.draft and turn.draft.answered and hasattr(backend, "refine"):
        # the map's answer on a topic the question names; a model backend may add what it picks
        turn.draft = backend.refine(turn, turn.draft)
    turn.timings["answer"] = (time.perf_counter() - t) * 1000
    return turn


def verify(turn: Turn, parts: Parts) -> Answer:
    documents = parts.index.documents
    draft = turn.draft or refusal(documents, reason="no answerer took the question")
    checked = finalize(draft.lead, draft.quotes, documents)
    if draft.quotes and not checked.quotes:  # nothing it quoted is in the op-ed
        draft = refusal(documents, reason="no quote survived verification")
    else:
        draft = Draft(draft.answered, checked.quotes, checked.answer, draft.hint, draft.reason, draft.evidence, draft.note)
    if checked.dropped:
        log.warning("dropped %d unverifiable quote(s) from %s", len(checked.dropped), turn.answerer)
    if not draft.answered:
        log.info("refused %r: %s", turn.question, draft.reason)
    turn.timings["total"] = (time.perf_counter() - turn.t0) * 1000
    return Answer(
        question=turn.question,
        answer=compose(draft, documents),
        answered=draft.answered,
        quotes=draft.quotes,
        backend=parts.backend,
        timings_ms=turn.timings,
        id=turn.request.id,
        reason=None if draft.answered else (draft.reason or "not answered"),
        fallback=draft.note,
        lead=draft.lead,
        hint=draft.hint,
        retrieved=[{"doc": h.chunk.doc, "start": h.chunk.start, "end": h.chunk.end} for h in turn.hits],
    )


def _step(fn) -> Runnable:
    """A step as a runnable that takes its ``Parts`` from the run's config."""

    def call(turn: Turn, config: RunnableConfig):
        return fn(turn, config["configurable"]["parts"])

    # LangChain inspects a step's signature on every call (does it take config? a run
    # manager?); stating it once saves ~16 inspections per question.
    call.__signature__ = inspect.signature(call)  # type: ignore[attr-defined]
    return RunnableLambda(call, name=fn.__name__)


PIPELINE: Runnable = _step(prepare) | _step(retrieve) | _step(answer) | _step(verify)


def run(parts: Parts, request: Request, config: RunnableConfig | None = None) -> Answer:
    """Answer one validated request (the only way in: ``bot.service.Bot.ask`` calls this)."""
    config = {**(config or {}), "run_name": "opedbot", "configurable": {"parts": parts}}
    return PIPELINE.invoke(Turn(request), config=config)
