"""The answer/refuse decision (``bot.decision``) and sentence selection, unit by unit.

The decision is a pure function of the evidence: each signal is tested on its own, at and
around its bar. Selection runs over the real index (sentences of the shipped op-ed)."""

from __future__ import annotations

import pytest

from bot.answerers.extractive import ExtractiveAnswerer, Ranking, Scored
from bot.decision import Bars, Evidence, decide, focus_words, gives, wanted_kind

B = Bars()


def ev(cosine=0.5, overlap=0.5, known=1.0, unknown=(), n_terms=3, wants=None, has=True) -> Evidence:
    return Evidence(cosine, overlap, known, list(unknown), n_terms, wants, has)


def test_close_in_meaning_answers_whatever_the_vocabulary():
    assert decide(ev(cosine=B.strong, known=0.0, unknown=["bloodshed"])) is None


def test_far_in_meaning_refuses_and_says_how_far():
    reason = decide(ev(cosine=B.weak - 0.01, overlap=0.3))
    assert reason is not None and "too far" in reason and f"{B.weak}" in reason
    reason = decide(ev(cosine=B.floor - 0.01, overlap=0.3))
    assert reason is not None and f"{B.floor}" in reason


def test_weak_zone_turns_on_whether_the_document_knows_the_words():
    middle = (B.weak + B.strong) / 2
    assert decide(ev(cosine=middle, known=B.min_known)) is None
    reason = decide(ev(cosine=middle, known=B.min_known - 0.01, unknown=["chief", "minister"]))
    assert reason == "the op-ed never mentions: chief, minister"


def test_one_sentence_holding_every_content_word_answers_even_when_cosine_is_low():
    assert decide(ev(cosine=B.floor - 0.1, overlap=1.0, n_terms=2)) is None
    # a one-word question also needs the floor: one shared word is weak evidence
    assert decide(ev(cosine=B.floor - 0.1, overlap=1.0, n_terms=1)) is not None
    assert decide(ev(cosine=B.floor, overlap=1.0, n_terms=1)) is None


def test_a_passage_without_the_kind_of_answer_asked_for_refuses_first():
    reason = decide(ev(cosine=0.9, overlap=1.0, wants="number", has=False))
    assert reason == "asks for a number; the closest passages give none"


def test_a_thing_asked_for_by_name_that_the_document_never_names_refuses():
    middle = (B.weak + B.strong) / 2
    near = ev(cosine=middle, overlap=0.8, known=1.0)
    near.unknown_focus = ["chief", "minister"]
    assert decide(near) == "asks about chief minister, which the op-ed never mentions"
    # close in meaning, or one sentence holding every word of the question, outweighs it
    near.best_cosine = B.strong
    assert decide(near) is None
    near.best_cosine, near.best_overlap = middle, 1.0
    assert decide(near) is None


@pytest.mark.parametrize(
    "question,focus",
    [
        ("Who is the current chief minister of Khyber Pakhtunkhwa?", ["current", "chief", "minister"]),
        ("How many people were killed in militant attacks?", ["people"]),
        ("How much money has the government allocated?", ["money"]),
        ("What is the population of Varunapuri?", ["population"]),
        ("Who brokered the ceasefire talks?", []),  # asks who, names no thing
        ("Which country must Pakistan improve relations with?", []),  # a category: left out
        ("What does the op-ed say about NACTA?", []),
    ],
)
def test_focus_words(question, focus):
    assert focus_words(question) == focus


def test_bars_are_parameters():
    middle = ev(cosine=0.5, overlap=0.5)
    assert decide(middle, Bars(strong=0.9, weak=0.6)) is not None
    assert decide(middle, Bars(strong=0.45)) is None


@pytest.mark.parametrize(
    "question,kind",
    [
        ("How many people were killed in KP last year?", "number"),
        ("What is the death toll?", "number"),
        ("When did the talks collapse?", "time"),
        ("Since when have talks been held?", "time"),
        ("Who brokered the ceasefire talks?", None),
        ("Why are procedural delays a problem?", None),
    ],
)
def test_wanted_kind(question, kind):
    assert wanted_kind(question) == kind


def test_gives():
    assert gives("time", "Since 2021, ceasefire talks were held.")
    assert not gives("number", "Since 2021, ceasefire talks were held.")  # a year is not a count
    assert gives("number", "Over 300 people were killed.")
    assert gives(None, "anything")


# -- selection over the shipped op-ed's sentences


@pytest.fixture(scope="module")
def answerer(bot):
    return ExtractiveAnswerer(bot.index)


def _scored(answerer, scores: dict[int, float]) -> list[Scored]:
    sents = answerer.index.sentences
    out = [Scored(sents[r], r, cosine=s, overlap=0.0, query_cosine=s) for r, s in scores.items()]
    return sorted(out, key=lambda x: -x.score(answerer.ranking))


def _row(answerer, prefix: str) -> int:
    return next(i for i, s in enumerate(answerer.index.sentences) if s.text.startswith(prefix))


@pytest.mark.slow
def test_select_takes_sentences_near_the_best_in_document_order(answerer):
    r = Ranking()
    a, b, c = _row(answerer, "Since 2021"), _row(answerer, "When these talks"), _row(answerer, "KP is a province")
    chosen = answerer.select("Who brokered the talks?", _scored(answerer, {b: 0.70, a: 0.70 - r.near_best / 2, c: 0.70 - r.near_best * 2}))
    assert [s.start for s in chosen] == sorted([answerer.index.sentences[a].start, answerer.index.sentences[b].start])


@pytest.mark.slow
def test_select_caps_the_number_of_quotes(answerer):
    rows = list(range(0, 6))
    chosen = answerer.select("Who brokered the talks?", _scored(answerer, dict.fromkeys(rows, 0.7)))
    assert len(chosen) == Ranking().max_quotes


@pytest.mark.slow
def test_a_list_question_follows_the_enumeration_to_its_end(answerer):
    start = _row(answerer, "Moving ahead")
    chosen = answerer.select("What steps should KP take?", _scored(answerer, {start: 0.8, _row(answerer, "KP is a province"): 0.3}))
    texts = [s.text for s in chosen]
    assert texts[0].startswith("Moving ahead")
    for cue in ("Second,", "Third,", "Last but not least"):
        assert any(t.startswith(cue) for t in texts), cue
    assert all(s.paragraph == answerer.index.sentences[start].paragraph for s in chosen)
    # the same sentence asked about without a list cue stays alone
    alone = answerer.select("Who should avoid binary choices?", _scored(answerer, {start: 0.8, _row(answerer, "KP is a province"): 0.3}))
    assert [s.text for s in alone] == [texts[0]]
