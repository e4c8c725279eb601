"""The typed state a question travels in: the validated ``Request`` an edge hands the core, the
``Turn`` the pipeline steps fill in, and the ``Draft`` an answerer returns.

A ``Request`` is only made by ``bot.validation.parse_request``: holding one means the input
passed the one set of rules the CLI, REST API and chat share, so the core never validates again.
A ``Draft`` is answer *parts* (lead, quotes, refusal reason and hint), never finished prose:
text is rendered from the parts (``bot.wording``) and nothing reads it back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from bot.retrieval import Hit
    from bot.schema import Quote
    from index.embeddings import TokenVectors


@dataclass(frozen=True)
class Request:
    question: str
    history: tuple[dict, ...] = ()
    id: str | int | None = None


@dataclass
class Draft:
    """What an answerer proposes, before verification.

    ``lead`` is the bot's own framing (may be empty: the quotes are then attributed on their
    own); ``hint`` says, on a refusal, what the op-ed does cover; ``reason`` says why it refused.
    ``evidence`` is whatever the decision was made from, for calibration and debugging."""

    answered: bool
    quotes: list[Quote] = field(default_factory=list)
    lead: str = ""
    hint: str = ""
    reason: str | None = None
    evidence: Any = None
    note: str | None = None  # set when a backend fell back to a simpler answer, and why


@dataclass
class Turn:
    """One question's way through the pipeline (``bot.pipeline``); each step fills its fields."""

    request: Request
    t0: float = field(default_factory=time.perf_counter)
    # prepare
    text: str = ""  # the question as used for retrieval: markup and padded instructions removed
    instructed: bool = False  # instructions to the bot were removed from it
    query: str = ""  # ``text``, joined to earlier turns when it is a follow-up
    # retrieve
    vector: np.ndarray | None = None  # the query's MiniLM vector
    own: tuple[str, np.ndarray] | None = None  # a follow-up's own words and vector
    tokens: TokenVectors | None = None  # the query's wordpiece vectors (same forward pass as ``vector``)
    own_tokens: TokenVectors | None = None  # a follow-up's own words' wordpiece vectors
    hits: list[Hit] = field(default_factory=list)
    # answer
    draft: Draft | None = None
    answerer: str = ""
    # set when the map answers a stance or recommendations question that names a topic ("What
    # does the writer propose for the old FATA areas?": ("recommendations", ["fata", …])): a
    # model backend may add its picks of that kind (``refine``)
    topical: tuple[str, list[str]] | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def question(self) -> str:
        return self.request.question

    @property
    def history(self) -> tuple[dict, ...]:
        return self.request.history
