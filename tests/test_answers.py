"""The extractive answerer over the real index, checked on the project's test set
(tests/data/eval.jsonl) and on targeted cases. Item-level asserts cover what must always hold
(faithful quotes, attribution, refusals carrying no passage); rates use the bars in
tests/data/thresholds.toml so the suite and the CI gate agree."""

from __future__ import annotations

import tomllib

import pytest

from bot.errors import InputError
from bot.evaluation.metrics import covered, has_key_facts, locate
from bot.evaluation.runner import load_items
from bot.quotes import is_verbatim
from tests.conftest import DATA, ask

pytestmark = pytest.mark.slow
ITEMS = load_items(DATA / "eval.jsonl")
BARS = tomllib.loads((DATA / "thresholds.toml").read_text("utf-8"))["fail_under"]


@pytest.fixture(scope="module")
def answers(bot):
    return {it.id: ask(bot, it.question, it.history, id=it.id) for it in ITEMS}


def test_every_quote_is_verbatim_and_every_answer_attributed(bot, answers):
    docs = bot.index.documents
    for a in answers.values():
        for q in a.quotes:
            assert is_verbatim(q, docs), (a.id, q)
            assert a.answer.count(f"“{q.text}”") == 1, (a.id, a.answer)  # each quote shown once
        if a.answered and a.quotes:
            # the bot's own words only frame and attribute; the claims are the op-ed's
            assert a.lead and "op-ed" in a.lead and a.answer.startswith(a.lead), a.answer


def test_refusals_present_no_passage(answers):
    for a in answers.values():
        if not a.answered:
            assert a.quotes == [] and "doesn't" in a.answer


def test_gold_passages_are_retrieved_in_top_k(bot, answers):
    docs = {d.id: d.text for d in bot.index.documents.values()}
    found = total = 0
    for it in ITEMS:
        if not it.gold_quotes:
            continue
        spans = [(r["doc"], r["start"], r["end"]) for r in answers[it.id].retrieved]
        for g in it.gold_quotes:
            total += 1
            found += covered(locate(g, docs), spans) >= 0.5
    assert found / total >= BARS["retrieval_recall_at_k"]
    # plain factual questions use the op-ed's own words: each must be retrieved
    for it in ITEMS:
        if it.category == "factual":
            spans = [(r["doc"], r["start"], r["end"]) for r in answers[it.id].retrieved]
            assert any(covered(locate(g, docs), spans) >= 0.5 for g in it.gold_quotes), it.id


def test_answer_and_refusal_rates_meet_the_bars(answers):
    answerable = [it for it in ITEMS if it.answerable]
    unanswerable = [it for it in ITEMS if not it.answerable]
    acc = sum(answers[it.id].answered and has_key_facts(it, answers[it.id].to_dict()) for it in answerable) / len(answerable)
    ref = sum(not answers[it.id].answered for it in unanswerable) / len(unanswerable)
    assert acc >= BARS["answer_accuracy"], acc
    assert ref >= BARS["refusal_accuracy"], ref
    # off-topic questions share no ground with the op-ed: every one refused
    assert all(not answers[it.id].answered for it in ITEMS if it.category == "offtopic")


def test_follow_up_is_answered_from_the_right_passage(bot):
    history = [{"role": "user", "content": "What happened with the ceasefire talks?"}]
    a = ask(bot, "Who brokered them?", history)
    assert a.answered and "Afghan Taliban" in a.quotes[0].text
    # the same words after another question are about that question's subject
    talks = ask(bot, "What came of them?", history)
    nacta = ask(bot, "What came of them?", [{"role": "user", "content": "What does the op-ed say about NACTA?"}])
    assert talks.answered and "ceasefire talks" in talks.quotes[0].text
    assert nacta.answered and "NACTA" in " ".join(q.text for q in nacta.quotes)


def test_list_question_returns_the_whole_enumeration(bot):
    a = ask(bot, "What steps does the op-ed recommend for KP's leadership going forward?")
    joined = " ".join(q.text for q in a.quotes)
    for part in ("binary choices", "Second,", "Third,", "Last but not least"):
        assert part in joined
    assert [q.n for q in a.quotes] == list(range(1, len(a.quotes) + 1))


def test_publication_date_comes_from_metadata(bot):
    a = ask(bot, "When was the op-ed published?")
    assert a.answered and "2025-09-09" in a.answer and a.quotes == []
    b = ask(bot, "Who wrote the op-ed?")
    assert not b.answered and "author" in b.answer and b.reason == "no author in the metadata"
    # what happened after it was published is no question about its date, and it cannot say
    c = ask(bot, "What happened after the op-ed was published?")
    assert not c.answered and c.reason == "asks what happened after the op-ed was written, which it cannot say"


@pytest.mark.parametrize(
    "question",
    ["How many people were killed in KP last year?", "Who is the chief minister of KP?", "What is the recipe for biryani?"],
)
def test_near_topic_and_off_topic_refusals(bot, question):
    a = ask(bot, question)
    assert not a.answered and a.quotes == []
    assert a.reason and a.to_dict()["reason"] == a.reason  # why, for --explain, the eval and the logs


def test_markup_in_question_is_ignored_for_retrieval(bot):
    a = ask(bot, "<script>alert('x')</script> Who brokered the ceasefire talks?")
    assert a.answered and "Afghan Taliban" in a.quotes[0].text
    assert "<script>" not in a.answer


def test_answer_object_contract(bot):
    d = ask(bot, "Which federal body does the op-ed name?", id="x1").to_dict()  # asked nowhere else: not from the cache
    assert list(d) == ["id", "question", "answer", "answered", "reason", "quotes", "backend", "fallback", "timings_ms", "lead", "hint"]
    assert d["reason"] is None
    assert d["backend"] == "extractive" and set(d["timings_ms"]) == {"retrieve", "answer", "total"}
    assert set(d["quotes"][0]) == {"n", "text", "doc", "paragraph", "start", "end"}


@pytest.mark.parametrize(
    "question,history,message",
    [
        ("", None, "empty"),
        ("   \n\t ", None, "empty"),
        ("x" * 2001, None, "limit"),
        ("what\x07 is it?", None, "control"),
        (42, None, "string"),
        ("ok?", [{"role": "system", "content": "x"}], "role"),
        ("ok?", [{"role": "user"}], "content"),
        ("ok?", "not a list", "list"),
        ("What is \ud800 NACTA?", None, "not valid Unicode"),
        ("ok?", [{"role": "user", "content": "lone \udc00"}], "not valid Unicode"),
    ],
)
def test_bad_input_raises_input_error(bot, question, history, message):
    with pytest.raises(InputError, match=message):
        ask(bot, question, history)


def test_the_core_takes_only_checked_requests(bot):
    with pytest.raises(TypeError, match="parse_request"):
        bot.ask("Who brokered the ceasefire talks?")
