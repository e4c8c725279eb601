"""Questions about nothing in the op-ed ("write me a cover letter", "are you human?") are refused,
on any op-ed: the off-topic gate of the decision (``bot/decision.py``), fitted on
tests/data/offtopic.jsonl. These questions are another helper's, written apart from that set
(tests/data/offtopic-probe.jsonl), and never fitted on."""

from __future__ import annotations

import pytest

from bot.evaluation.runner import load_items
from tests.conftest import DATA, ask

pytestmark = pytest.mark.slow
PROBE = [it.question for it in load_items(DATA / "offtopic-probe.jsonl")]


def _answered(bot) -> list[str]:
    return [q for q in PROBE if ask(bot, q).answered]


def test_off_topic_questions_are_refused_on_the_shipped_op_ed(bot):
    assert _answered(bot) == []


@pytest.mark.parametrize("name", ["water-oped", "ai-schools-oped", "transit-oped", "health-oped"])
def test_off_topic_questions_are_refused_on_other_op_eds(other_bots, name):
    """At most one of the 24 answered (one each on transit and health when this was written)."""
    answered = _answered(other_bots[name])
    assert len(answered) <= 1, answered
