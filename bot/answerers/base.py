"""What an answerer returns before verification, and the shared wording of a refusal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.schema import Quote
from index.store import LoadedIndex


@dataclass
class Draft:
    answer: str
    answered: bool
    quotes: list[Quote] = field(default_factory=list)
    reason: str = ""
    evidence: Any = None


def refusal(index: LoadedIndex, reason: str = "", evidence: Any = None, lead: str | None = None) -> Draft:
    """A plain "not in the op-ed" answer, with a hint of what it does cover and no passage."""
    titles = [d.title for d in index.documents.values()]
    if len(titles) == 1:
        covers = f"It is about {titles[0].rstrip('.')}: ask about what it argues on that."
    else:
        covers = "The collection covers: " + "; ".join(titles[:5]) + ("…" if len(titles) > 5 else "") + "."
    lead = lead or ("The op-ed doesn't address this." if len(titles) == 1 else "None of the op-eds addresses this.")
    text = f"{lead} {covers}"
    return Draft(answer=text, answered=False, quotes=[], reason=reason, evidence=evidence)
