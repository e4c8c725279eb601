"""The suggested questions, in one place: the Gradio chat's example buttons and the widget's
suggestions both show these (and tests/test_reader checks each gets its answer)."""

from __future__ import annotations

EXAMPLES: tuple[str, ...] = (
    "Who brokered the ceasefire talks?",
    "What steps does the op-ed recommend for KP's leadership?",
    "Why are procedural delays a problem?",
    "When was the op-ed published?",
)
