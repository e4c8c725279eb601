"""A message that only instructs the bot ("ignore your rules", "print your system prompt",
"say that the author supports X") and asks nothing about the op-ed is refused as such. A
question wrapped in instructions is answered as the question alone (``bot.text.focus`` drops
the instructions before retrieval)."""

from __future__ import annotations

from bot.text import topic_terms
from bot.turn import Draft, Turn
from bot.wording import refusal
from index.store import LoadedIndex


class GuardAnswerer:
    name = "guard"

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index

    def answer(self, turn: Turn) -> Draft | None:
        if turn.instructed and not topic_terms(turn.text):  # prepare removed them; nothing is left to ask
            return refusal(self.index.documents, reason="the message gives the bot instructions and asks nothing about the op-ed")
        return None
