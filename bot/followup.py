"""Follow-up questions: make a question that leans on the conversation retrievable on its own.

"Who brokered them?" means nothing to a retriever; joined to the previous question ("What
happened to the ceasefire talks?") it finds the right passage. We join only when the question
points back (a pronoun, a leading "and"/"why", or too few content words to stand alone), so a
self-contained new question is not polluted by an old topic. A question with no words of its own
("Why?", "How so?") is about what was just said: it is joined to the previous answer, not to the
previous question (which may itself be "What is the second one?"). No model is involved: the
extractive default has none, and generative backends get the same rewrite.
"""

from __future__ import annotations

import re

from bot.text import terms

_PRONOUN = re.compile(
    r"\b(they|them|their|theirs|it|its|this|that|these|those|he|him|his|she|her|such|there|"
    r"the same|the above|above|former|latter|then)\b",
    re.I,
)
_LEADS_ON = re.compile(r"^\s*(and|but|so|also|why|how come|what about|and why|what else|anything else|more)\b", re.I)


def needs_context(question: str) -> bool:
    """A pronoun points back; an opening "and…", "why…", "what about…" does only when the
    question says little of its own ("Why?", "And Afghanistan?", not "Why are delays a problem?")."""
    own = len(set(terms(question)))
    return bool(_PRONOUN.search(question)) or own < 2 or (own < 3 and bool(_LEADS_ON.search(question)))


_ALONG = re.compile(r"\b(else|another|other|others|next|too|also|again)\b", re.I)


def points_back(question: str) -> bool:
    """Whether a word of the question points into the conversation ("that plan", "them", "anyone
    *else*"); "it" and "its" aside, which in a question about the op-ed as a whole are the op-ed."""
    return bool(_ALONG.search(question)) or any(m.group(1).lower() not in ("it", "its") for m in _PRONOUN.finditer(question))


def is_bare(question: str) -> bool:
    """A follow-up with no content word at all ("Why?", "How so?", "Really?")."""
    return not terms(question)


_WHY = re.compile(r"^\s*(?:and\s+|so\s+|but\s+)?(?:why|how so|what(?:['’]s| is) (?:behind|the reason for))\b", re.I)


def asks_why_of_it(question: str) -> bool:
    """Asks for the reason of what was just said: "Why?", "How so?", "Why is that a problem?"
    (not "Why are procedural delays a problem?", which names its own subject)."""
    return is_bare(question) or (bool(_WHY.match(question)) and bool(_PRONOUN.search(question)))


def condense(question: str, history: list[dict] | None) -> str:
    """The text to retrieve with: the question, prefixed by the last user turn when it points
    back, or by the last answer when it has no words of its own."""
    if not history or not needs_context(question):
        return question
    if is_bare(question):
        answer = next((t["content"] for t in reversed(history) if t.get("role") == "assistant"), None)
        if answer:
            return f"{answer} {question}"
    context: list[str] = []
    for turn in reversed(history):
        if turn.get("role") == "user":
            context.insert(0, turn["content"])
            if not needs_context(turn["content"]) or len(context) == 2:
                break
    return " ".join([*context, question])
