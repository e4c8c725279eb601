"""The answer object: the contract the CLI, REST API, chat UI and eval all return unchanged.

{"id"?, "question", "answer", "answered", "reason", "quotes": [{"n", "text", "doc", "paragraph",
 "start", "end"}], "backend", "fallback", "timings_ms": {"retrieve", "answer", "total"}, "lead", "hint"}

``answer`` is the plain-text rendering of the parts (``lead``, ``quotes``, ``hint``) made once by
``bot.wording.compose``; an edge that presents answers its own way (the chat) renders the parts
and never parses ``answer``. ``reason`` says why the bot refused (null when it answered); ``fallback`` says, when a model
backend could not help (unreachable, slow, a reply that was not sentence numbers), that the
answer is the extractive one and why (null otherwise).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Quote:
    n: int
    text: str
    doc: str
    paragraph: int
    start: int
    end: int


@dataclass
class Answer:
    question: str
    answer: str
    answered: bool
    quotes: list[Quote]
    backend: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    id: str | int | None = None
    reason: str | None = None
    fallback: str | None = None
    # The parts the text was rendered from, for edges that render their own way.
    lead: str = ""
    hint: str = ""
    # Not part of the contract: what retrieval returned, for evaluation (retrieval recall, MRR).
    retrieved: list[dict] = field(default_factory=list, repr=False, compare=False)

    def to_dict(self) -> dict:
        d = {
            "question": self.question,
            "answer": self.answer,
            "answered": self.answered,
            "reason": self.reason,
            "quotes": [asdict(q) for q in self.quotes],
            "backend": self.backend,
            "fallback": self.fallback,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            # the parts ``answer`` was rendered from, for clients that show quotes their own way
            "lead": self.lead,
            "hint": self.hint,
        }
        if self.id is not None:
            d = {"id": self.id, **d}
        return d
