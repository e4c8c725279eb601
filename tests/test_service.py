"""The Bot object the edges hold: repeated questions from the answer cache, and the swap to a
new build between questions (what `opedbot serve` does when `opedbot index add` ran)."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.service import Bot
from index.documents import load_document
from index.store import IndexStore
from tests.conftest import DATA, ask

pytestmark = pytest.mark.slow


def test_a_repeated_question_comes_from_the_cache_with_its_own_id(bot):
    first = ask(bot, "What is NACTA?", id="a")
    again = ask(bot, "What is NACTA?", id="b")
    assert "cached" not in first.timings_ms or first is not again
    assert "cached" in again.timings_ms and again.id == "b" and first.id == "a"
    assert (again.answer, again.quotes, again.answered) == (first.answer, first.quotes, first.answered)
    # the same words in another conversation are another question
    other = ask(bot, "What is NACTA?", [{"role": "user", "content": "Who brokered the talks?"}, {"role": "assistant", "content": "…"}])
    assert "cached" not in other.timings_ms


def test_the_cache_can_be_turned_off(session_data_dir, embedder):
    settings = load_settings(data_dir=session_data_dir, answer_cache=0)
    b = Bot(settings, embedder=embedder, store=IndexStore(session_data_dir, embedder, progress=None))
    ask(b, "What is NACTA?")
    assert "cached" not in ask(b, "What is NACTA?").timings_ms


def test_refresh_swaps_to_a_new_build_and_forgets_cached_answers(tmp_path, embedder):
    store = IndexStore(tmp_path, embedder, progress=None)
    store.build()
    b = Bot(load_settings(data_dir=tmp_path), embedder=embedder, store=store)
    before = ask(b, "What has the state government proposed?")
    assert b.refresh() is None  # nothing new
    added = IndexStore(tmp_path, embedder, progress=None).add([load_document(DATA / "other-opeds" / "water-oped.txt")])
    assert b.refresh() == added.build_id and b.index.build_id == added.build_id
    after = ask(b, "What has the state government proposed?")
    assert "cached" not in after.timings_ms
    assert after.answered and after.quotes[0].doc == "water-oped" and after.answer != before.answer
