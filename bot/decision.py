"""Answer or refuse: the one place that decides whether the op-ed answers a question.

One similarity threshold fails both ways, so the decision combines independent signals that an
answerer measures and hands over as ``Evidence``:

* meaning: how close the best sentence is (cosine);
* words: does one sentence hold every content word of the question (overlap)?
* vocabulary: how many of the question's content words the document knows at all. A near-topic
  question about something the op-ed never names ("the chief minister", "casualty figures") has
  words the document lacks, while a paraphrase keeps most of its words or scores high on meaning;
* answer type: "how many" wants a number, "when" a time expression; passages without one do
  not answer, however close they are;
* focus: the thing a question asks for by name ("Who is the *chief minister*", "How many
  *people*", "What is the *population* of …") and names written with a capital ("India",
  "Imran Khan") that the document never uses;
* question type: one particular fact (who, when, how many …) or what the op-ed thinks (why, what
  does the author say …). Near-topic questions the op-ed cannot answer mostly ask for a fact;
  paraphrases mostly ask for a view.

No hand-set bar weighs these well together: a paraphrase ("truces", "bloodshed") lacks the
document's words as much as a near-topic question does. So ``decide`` is a logistic regression
over the signals, fitted on labelled question sets by ``opedbot calibrate``
(``bot/evaluation/calibrate.py``) and shipped as ``bot/decision_model.json`` with the figures of
its cross-validation. It stays a pure function of the evidence and the model, and returns the
reason for refusing, in words, or None to answer.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot.errors import ConfigError
from bot.text import names

QUANTITY_Q = re.compile(
    r"\bhow (many|much)\b|\bwhat (number|percentage|share|proportion|amount)\b|"
    r"\b(death toll|casualt\w*|statistic\w*|figures?|fatalit\w*|killed|injured|budget|cost)\b",
    re.I,
)
NUMBER = re.compile(
    r"\b(?!(?:1[89]|20)\d\d\b)\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?|"
    r"millions?|billions?|percent|half|twice)\b",
    re.I,
)
TIME_Q = re.compile(r"^\s*when\b|\bwhat (year|date|month|day|time)\b|\bin which year\b|\bsince when\b|\bhow long\b", re.I)
TIME = re.compile(
    r"\b(1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september|october|"
    r"november|december|since|after|before|when|until|during|ago|recent\w*|year\w*|month\w*)\b",
    re.I,
)
_GIVES = {"number": NUMBER, "time": TIME}

# Questions that ask for a thing by name: "who is/was the X", "how many/much X", "what/which is
# the X of …". The X ends at the first function word or the end of the question. "Which X …"
# is left out: its X is usually a category ("which country") whose members the op-ed names.
FOCUS_Q = re.compile(
    r"^\s*(?:who\s+(?:is|are|was|were)\s+(?:the\s+|an?\s+)?|how\s+(?:many|much)\s+|"
    r"(?:what|which)\s+(?:is|are|was|were)\s+the\s+(?=(?:[\w’'-]+\s+){1,3}of\b))"
    r"((?:[\w’'-]+\s*?){1,3}?)"
    r"(?=\s+(?:of|in|for|did|does|do|is|are|was|were|has|have|had|that|who|to|on|at|by|from|with|about|according|can|could|would|will|should)\b|\s*[?.!]|\s*$)",
    re.I,
)
# Words that qualify the thing asked for rather than name it ("the *current* chief minister").
QUALIFIERS = frozenset(
    """current exact total actual precise specific official real first last new old recent
    name names number numbers amount percentage share proportion date year years time""".split()
)


# After a qualifier ("the *name* of …", "the *number* of …"), what is asked for by name follows.
_OF_WHAT = re.compile(
    r"\s+of\s+(?:the\s+|an?\s+)?((?:[\w’'-]+\s*?){1,3}?)(?=\s+(?:in|for|of|on|at|by|from|with|to|that|who|which)\b|\s*[?.!]|\s*$)", re.I
)


def focus_words(question: str) -> list[str]:
    """The words naming what a question asks for by name, when it asks for one ([] otherwise)."""
    m = FOCUS_Q.match(question)
    if not m:
        return []
    found = re.findall(r"[A-Za-z]+", m.group(1).lower())
    if found and all(w in QUALIFIERS for w in found) and (of := _OF_WHAT.match(question, m.end(1))):
        found += re.findall(r"[A-Za-z]+", re.sub(r"['’]s\b", "", of.group(1).lower()))  # "the name of the TTP's leader"
    return found


def wanted_kind(question: str) -> str | None:
    """The kind of answer a question asks for, when it asks for a particular one."""
    return "number" if QUANTITY_Q.search(question) else "time" if TIME_Q.search(question) else None


def gives(kind: str | None, text: str) -> bool:
    """Whether a passage offers the kind of answer asked for (always, when none is)."""
    return kind is None or bool(_GIVES[kind].search(text))


_ACRONYM = re.compile(r"\b[A-Z][A-Z]+\b")


def gives_fact(question: str, text: str) -> bool:
    """Whether a passage holds the kind of thing a fact question asks for and does not already
    name: a number or a time when it asks for one, otherwise a name ("the *Afghan Taliban*",
    "*NACTA*") that the question lacks."""
    kind = wanted_kind(question)
    if kind is not None:
        return gives(kind, text)
    asked = {w.lower() for w in names(question) + _ACRONYM.findall(question)}
    return any(w.lower() not in asked for w in names(text) + _ACRONYM.findall(text))


# Questions that ask for one particular fact (a name, a number, a date, a place). Near-topic
# questions the op-ed cannot answer are mostly of this kind; paraphrases mostly ask what the
# op-ed says or thinks (``VIEW_Q``).
FACT_Q = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:who|whom|whose|when|where|which|how\s+(?:many|much|long|old|often)|"
    r"(?:what|which)\s+(?:is|was|are|were)\s+the\s+(?:name|names|number|date|year|percentage|cost|size|population)|"
    r"in\s+(?:what|which)\s+(?:year|month)|on\s+what\s+date|name\s+the)\b",
    re.I,
)
VIEW_Q = re.compile(
    r"\b(?:why|think|thinks|view|argue|argues|opinion|believe|believes|feel|feels|suggest|suggests|warn|warns|"
    r"worry|worries|concern\w*|sees?|consider|considers|say about|what does the (?:author|writer|piece|op-?ed|article|columnist))\b",
    re.I,
)


# "How did the federal government respond …?", "What did the minister say in response …?": what
# someone did in reply. An op-ed rarely reports it; when it does, the passage says so.
ASKS_REACTION = re.compile(
    r"\b(?:how|what) (?:did|has|have|had|was|were) .{1,80}?\b(?:respond|react|reply|retort|say in (?:response|reply)|answer)\w*",
    re.I,
)
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
# What reports a response: a verb of responding, or someone's response ("The board's response so
# far has been …"); "can slow operational responses" reports none.
REPORTS_REACTION = re.compile(
    r"\b(?:responded|replied|reacted|rejected|dismissed|denied|welcomed|retorted|countered|"
    r"(?:['’]s|its|their|his|her) (?:\w+ )?(?:response|reply|reaction|answer)|(?:response|reply|reaction|answer) (?:was|has been|to)\b)",
    re.I,
)


# What happened after the op-ed ran is never in it ("Did the council reverse its decision after
# this column ran?"); "since the article says …" gives a reason, it asks nothing after.
AFTER_PUBLICATION = re.compile(
    r"\bafter (?:the|this|that|its) (?:op-?ed|column|article|piece|editorial|essay)\b(?! (?:says|argues|describes|mentions))"
    r"|\b(?:after|since) (?:it|the (?:op-?ed|column|article|piece)) (?:ran|was (?:published|printed|written)|appeared|came out)\b"
    r"|\bafter (?:its )?publication\b",
    re.I,
)
# The view, decision or response of an office-holder ("What does the island's member of
# parliament think about the plan?", "What did parliament decide …?"): an op-ed that names no
# such office cannot give it.
VIEW_OF = re.compile(
    r"\b(?:what|how) (?:does|do|did|would|will|has|have) (.{1,60}?) (?:think|say|believe|feel|make of|want|decide|vote|announce|respond|react|reply)\b",
    re.I,
)
OFFICES = frozenset(
    "mayor mayors governor governors minister ministers premier president mp mps parliament senator senators congressman "
    "congresswoman councillor councillors councilor councilors chancellor spokesperson spokesman spokeswoman ombudsman "
    "commissioner judge judges union unions police ceo chairman chairwoman chairperson opposition ambassador".split()
)


def ruled_out(question: str, closest: list[str], years: set[str], words: frozenset[str] = frozenset()) -> str:
    """Why the op-ed certainly cannot answer, or "": the question is pinned to a year the op-ed
    never names (``years``: those it does), asks what happened after the op-ed ran, asks the
    view of an office the op-ed never names (``words``: the lower-case words it uses), or asks
    how someone responded and none of the ``closest`` passages reports a response."""
    unnamed = [y for y in YEAR.findall(question) if y not in years]
    if unnamed:
        return f"asks about {unnamed[0]}, which the op-ed never mentions"
    if AFTER_PUBLICATION.search(question):
        return "asks what happened after the op-ed was written, which it cannot say"
    if words and (view := VIEW_OF.search(question)):
        offices = [w for w in re.findall(r"[a-z]+", view.group(1).lower()) if w in OFFICES and w not in words]
        if offices:
            return f"asks for the view of someone the op-ed never mentions ({offices[0]})"
    if ASKS_REACTION.search(question) and not any(REPORTS_REACTION.search(t) for t in closest):
        return "asks how someone responded; the op-ed reports no response"
    return ""


def asks_fact(question: str) -> bool:
    return bool(FACT_Q.search(question))


def asks_view(question: str) -> bool:
    return bool(VIEW_Q.search(question))


@dataclass
class Evidence:
    """What the decision is made from (one answerer's measurements of one question)."""

    best_cosine: float  # the closest sentence's cosine to the query
    best_overlap: float  # the largest IDF-weighted share of the question's terms in one sentence
    known_share: float  # share of the question's content terms the document uses at all
    unknown_terms: list[str]  # those it never uses, as the question spells them
    n_terms: int  # content terms in the question
    wants: str | None  # "number" or "time" when the question asks for one
    has_wanted: bool  # the closest passages offer that kind of answer
    unknown_focus: list[str] = field(default_factory=list)  # focus words the document never uses
    unknown_names: list[str] = field(default_factory=list)  # capitalised words (names) the document never uses
    chunk_cosine: float = 0.0  # the closest retrieved chunk's cosine (a passage, not one sentence)
    followup: bool = False  # the question was joined to the conversation before it
    asks_fact: bool = False
    asks_view: bool = False
    fact_given: bool = False  # a fact question, and the closest passage holds that kind of fact (``gives_fact``)
    best_soft: float = 0.0  # the best word-by-word soft match of one sentence (``bot.softmatch``)
    # why the op-ed cannot answer whatever the closeness of its passages, when that is certain:
    # a response none of the closest passages reports (``ASKS_REACTION``), a year it never names
    ruled_out: str = ""


# The signals the learned decision weighs, in the order of its coefficients.
FEATURES = (
    "cosine", "overlap", "whole", "known", "terms", "unknown", "unknown_focus", "unknown_names",
    "no_wanted", "chunk_cosine", "followup", "asks_fact", "asks_view", "fact_cosine", "fact_overlap", "fact_given",
    "soft",
)  # fmt: skip


def features(ev: Evidence) -> list[float]:
    return [
        ev.best_cosine,
        ev.best_overlap,
        float(ev.best_overlap >= 0.999),  # one sentence holds every content word
        ev.known_share,
        float(min(ev.n_terms, 8)),
        float(len(ev.unknown_terms)),
        float(bool(ev.unknown_focus)),
        float(len(ev.unknown_names)),
        float(not ev.has_wanted),
        ev.chunk_cosine,
        float(ev.followup),
        float(ev.asks_fact),
        float(ev.asks_view),
        # a question after one particular fact needs a closer, fuller match than one about a view
        ev.best_cosine * ev.asks_fact,
        ev.best_overlap * ev.asks_fact,
        float(ev.fact_given),
        ev.best_soft,
    ]


MODEL_PATH = Path(__file__).with_name("decision_model.json")


@dataclass(frozen=True)
class Model:
    """A logistic regression over ``FEATURES``: standardise, weigh, answer when the probability
    that the op-ed answers reaches ``threshold``. Fitted by ``opedbot calibrate``
    (``bot.evaluation.calibrate``) on labelled question sets; the file says on which, and how it
    did on each set when that set was left out of the fit."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float = 0.5
    about: dict = field(default_factory=dict, compare=False)
    # A second regression over the same signals, fitted to tell questions about the op-ed's
    # subject (answerable or not) from questions about nothing in it ("write me a cover letter"):
    # below its threshold the question is refused before the main one is asked.
    gate: Model | None = None

    def probability(self, ev: Evidence) -> float:
        """The probability that the op-ed answers, by this model."""
        return self.probability_of(features(ev))

    def probability_of(self, x: list[float]) -> float:
        z = self.intercept + sum(c * (v - m) / s for c, v, m, s in zip(self.coef, x, self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def to_dict(self) -> dict:
        return {
            "features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
            "coef": list(self.coef), "intercept": self.intercept, "threshold": self.threshold, "about": self.about,
            "gate": self.gate.to_dict() if self.gate else None,
        }  # fmt: skip

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Model:
        try:
            model = cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise ConfigError(f"cannot read the decision model {path}: {e}") from e
        for m in (model, model.gate):
            if m is not None and (m.features != FEATURES or not (len(m.mean) == len(m.scale) == len(m.coef) == len(FEATURES))):
                raise ConfigError(
                    f"the decision model {path} was fitted on other signals ({', '.join(m.features)}): run `opedbot calibrate`"
                )
        return model

    @classmethod
    def from_dict(cls, raw: dict) -> Model:
        return cls(
            features=tuple(raw["features"]), mean=tuple(raw["mean"]), scale=tuple(raw["scale"]),
            coef=tuple(raw["coef"]), intercept=float(raw["intercept"]), threshold=float(raw.get("threshold", 0.5)),
            about=raw.get("about", {}), gate=cls.from_dict(raw["gate"]) if raw.get("gate") else None,
        )  # fmt: skip


@lru_cache(maxsize=1)
def default_model() -> Model:
    return Model.load(MODEL_PATH)


def decide(ev: Evidence, model: Model | None = None) -> str | None:
    """None to answer; otherwise the reason for refusing, in words a reader can follow."""
    model = model or default_model()
    if ev.ruled_out or off_topic(ev, model):
        return reason(ev)
    if model.probability(ev) >= model.threshold:
        return None
    return reason(ev)


def off_topic(ev: Evidence, model: Model | None = None) -> bool:
    """Whether the off-topic gate stops the question: it is about nothing in the op-ed. A
    model-assisted backend does not rescue such a refusal with a sentence of its choosing (nor
    one the evidence rules out, ``Evidence.ruled_out``)."""
    model = model or default_model()
    return model.gate is not None and model.gate.probability(ev) < model.gate.threshold


def reason(ev: Evidence) -> str:
    """Why the op-ed does not answer, from the evidence that weighs most against it."""
    if ev.ruled_out:
        return ev.ruled_out
    if not ev.has_wanted:
        return f"asks for a {ev.wants}; the closest passages give none"
    named = ev.unknown_names or ev.unknown_focus
    if named:
        return f"asks about {' '.join(named)}, which the op-ed never mentions"
    if ev.unknown_terms:
        return f"the op-ed never mentions: {', '.join(ev.unknown_terms)}"
    return f"no passage is close enough (best cosine {ev.best_cosine:.2f})"
