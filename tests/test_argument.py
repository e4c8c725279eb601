"""The other side and the author's reply (``bot.argument``), and what the extractive answerer
does with them: an objection is never quoted without the reply, and a "why" question gets the
reasons that follow a claim."""

from __future__ import annotations

import pytest

from bot import pipeline
from bot.answerers.selector import SentenceSelector
from bot.argument import other_side, reply_to
from bot.turn import Turn
from bot.validation import parse_request
from index.chunking import Span
from tests.conftest import ask


def _doc(*paragraphs: list[str]) -> list[Span]:
    out, pos = [], 0
    for p, sentences in enumerate(paragraphs):
        for text in sentences:
            out.append(Span(f"s{len(out)}", "d", p, pos, pos + len(text), text))
            pos += len(text) + 1
    return out


def _texts(sents: list[Span], positions: list[int]) -> list[str]:
    return [sents[i].text for i in positions]


def test_a_case_stated_over_several_sentences_is_answered_after_its_last():
    sents = _doc(
        ["Schools should allow the tools."],
        [
            "Critics worry that students will cheat.",
            "They worry, too, about privacy.",
            "These are real risks.",
            "But bans do not help.",
            "X.",
        ],
    )
    theirs = other_side(sents)
    assert _texts(sents, theirs) == ["Critics worry that students will cheat.", "They worry, too, about privacy."]
    for i in theirs:
        assert _texts(sents, reply_to(i, sents, set(theirs))) == ["These are real risks.", "But bans do not help.", "X."]


def test_objections_answered_point_by_point_each_get_their_own_reply():
    sents = _doc(
        [
            "Some argue that the toll pays for buses.",
            "But the city can borrow.",
            "Others say shops will suffer.",
            "Yet shops did fine elsewhere.",
        ]
    )
    theirs = other_side(sents)
    assert [reply_to(i, sents, set(theirs)) for i in theirs] == [[1], [3]]


def test_a_paragraph_that_only_states_their_case_is_answered_by_the_next():
    sents = _doc(
        ["Opponents argue the plan costs too much.", "They say the budget is fixed."],
        ["The money is already spent.", "It goes to agencies."],
        ["Z."],
    )
    theirs = other_side(sents)
    assert _texts(sents, reply_to(theirs[0], sents, set(theirs))) == ["The money is already spent.", "It goes to agencies."]


def test_no_other_side_without_its_cue_words():
    """ "It is argued that …" is how op-eds put their own points."""
    assert other_side(_doc(["It is argued that reforms were slow.", "The state should act."])) == []


def test_a_concession_is_the_other_side_and_what_follows_answers_it():
    """The author granting a point ("None of these measures is without cost, and some will be
    resisted …", "the objectors have a point, and I will concede it") sets out the other side
    as surely as "critics say"; the sentence that turns against it is the reply."""
    sents = _doc(
        ["The board should publish results."],
        ["None of these measures is without cost, and some will be resisted.", "Yet the alternative is worse.", "Act now."],
    )
    theirs = other_side(sents)
    assert _texts(sents, theirs) == ["None of these measures is without cost, and some will be resisted."]
    assert _texts(sents, reply_to(theirs[0], sents, set(theirs))) == ["Yet the alternative is worse.", "Act now."]
    assert other_side(_doc(["Now, the objectors have a point, and I will concede it freely."])) == [0]
    # after their case in the same paragraph, a concession and "But I would point out …" are
    # the author answering it
    sents = _doc(
        [
            "The second objection I hear is that the turbines will spoil the view.",
            "I concede they will not improve the sunsets.",
            "But I would gently point out that the view is spoiled already.",
        ],
    )
    theirs = other_side(sents)
    assert theirs == [0] and reply_to(0, sents, set(theirs)) == [1, 2]


def test_someones_words_quoted_to_be_disputed_are_the_other_side():
    """An official quoted ("told the council that "…"") and the sentence that says it is not so
    ("That is simply not what the evidence shows.") are their case and the author's reply."""
    sents = _doc(
        [
            "The plan is too little.",
            'The deputy mayor told the council that "most harm happens in the afternoon".',
            "That is simply not what the evidence shows.",
            "Deaths peak at night.",
        ],
    )
    theirs = other_side(sents)
    assert theirs == [1] and _texts(sents, reply_to(1, sents, set(theirs)))[0] == "That is simply not what the evidence shows."


def test_their_case_in_their_words_or_in_the_author_s_account_is_the_other_side():
    """ "The council's case is simple …", someone who "put it this way: "…"" and a group
    "telling residents that …" state the other side's case; "my case is" is the author's."""
    for text in (
        "The council's case is simple, and it deserves to be heard fairly.",
        'Its convener put it this way when the vote was taken: "We cannot justify the cost."',
        "A group has spent three months telling residents that the plan will ruin their streets.",
    ):
        assert other_side(_doc([text, "That is wrong."])) == [0], text
    assert other_side(_doc(["My case is simple: the ferry pays for itself.", "It does."])) == []


slow = pytest.mark.slow


@slow
def test_an_objection_is_quoted_with_the_authors_reply(other_bots):
    """A question whose best sentence reports the critics gets the reply too, and the lead says
    which is which: the critics' worry is not the op-ed's claim."""
    a = ask(other_bots["ai-schools-oped"], "Won't kids cheat with it?")
    texts = [q.text for q in a.quotes]
    assert a.answered and any(t.startswith("They worry about cheating") for t in texts), a.answer
    assert any(t.startswith("But each of them is an argument for supervision") for t in texts), a.answer
    assert a.answer.startswith("The op-ed sets out the other side’s case and answers it:"), a.answer


@slow
def test_an_answer_without_the_other_side_keeps_the_plain_lead(other_bots):
    a = ask(other_bots["ai-schools-oped"], "How many secondary students were surveyed?")
    assert a.answered and a.answer.startswith("According to the op-ed:"), a.answer


@slow
@pytest.mark.parametrize(
    ("name", "question", "claim", "reason"),
    [
        ("ai-schools-oped", "Why don't bans work?", "Bans do not work in practice.", "Students carry the tools in their pockets"),
        ("health-oped", "Why do the nurses keep leaving?", "Nurses leave for reasons", "A registered nurse at an upland clinic"),
        # the consequences an op-ed names follow the sentence that announces them
        ("exams-oped", "What consequences does the author describe?", "The consequences of this failure", "Universities now routinely"),
    ],
)
def test_why_gets_the_reasons_after_the_claim(other_bots, name, question, claim, reason):
    texts = [q.text for q in ask(other_bots[name], question).quotes]
    assert any(t.startswith(claim) for t in texts) and any(t.startswith(reason) for t in texts), texts


def test_a_reply_that_takes_the_points_in_turn_answers_the_one_asked_about():
    sents = _doc(
        ["Defenders argue that hubs are safer.", "Some point to telehealth.", "Others say the budget is fixed."],
        [
            "There is truth in each point, but none survives the map.",
            "Hubs add an hour's drive.",
            "Telehealth needs broadband.",
            "The money is spent anyway.",
        ],
    )
    theirs = other_side(sents)
    assert theirs == [0, 1, 2]
    words = lambda j: set(sents[j].text.lower().strip(".").split())  # noqa: E731
    similarity = lambda a, b: len(words(a) & words(b))  # noqa: E731
    assert _texts(sents, reply_to(1, sents, set(theirs), similarity)) == [
        "There is truth in each point, but none survives the map.",
        "Telehealth needs broadband.",
    ]
    assert _texts(sents, reply_to(1, sents, set(theirs))) == _texts(sents, [3, 4, 5])  # without it: the reply as it opens


@slow
def test_an_objection_gets_the_part_of_the_reply_that_answers_it(other_bots):
    a = ask(other_bots["health-oped"], "Can't patients just use telehealth instead?")
    texts = [q.text for q in a.quotes]
    assert any(t.startswith("Some point to telehealth") for t in texts), a.answer
    assert any(t.startswith("Telehealth depends on broadband") for t in texts), a.answer


class _Picks(SentenceSelector):
    """A selector whose model names one fixed sentence: what a model picks is not the point here."""

    def __init__(self, index, settings, embedder, starts: str) -> None:
        super().__init__(index, settings, embedder)
        self.row = next(r for r, s in enumerate(index.sentences) if s.text.startswith(starts))

    def pick(self, doc, question):
        return [self.row], 0.0

    def _recheck(self, rows, turn):
        return rows  # keep the pick as it is, not its neighbour


@slow
def test_an_objection_a_model_picks_comes_with_the_reply_too(other_bots, embedder):
    water = other_bots["water-oped"]
    water.load()
    selector = _Picks(
        water.index, water.settings.model_copy(update={"llm_mode": "union"}), embedder, "Others say that raising water prices"
    )
    turn = Turn(parse_request("How much treated water is lost?", [], water.settings))
    pipeline.prepare(turn, water.parts)
    pipeline.retrieve(turn, water.parts)
    draft = selector.answer(turn)
    texts = [q.text for q in draft.quotes]
    assert any(t.startswith("Others say that raising water prices") for t in texts), texts
    assert any(t.startswith("That concern is real, but") for t in texts), texts
    assert draft.lead == "The op-ed sets out the other side’s case and answers it:"


@slow
def test_the_reply_to_a_point_is_found_by_its_words_too(other_bots):
    """ "The revenue argument is the strongest, but …" answers "the toll revenue would pay for
    better buses" because it repeats its words: by MiniLM alone "Bus lanes do not have to wait
    for pricing" was nearer."""
    a = ask(other_bots["transit-oped"], "Wouldn't the toll revenue pay for better buses anyway?")
    texts = [q.text for q in a.quotes]
    assert any(t.startswith("Others argue that the toll revenue") for t in texts), a.answer
    assert any(t.startswith("The revenue argument is the strongest") for t in texts), a.answer


@slow
def test_a_question_about_one_objection_gets_the_reply_and_a_stance_on_it_uses_the_reply(other_bots):
    ai = ask(other_bots["ai-schools-oped"], "Does the author take the critics' worries about cheating seriously?")
    texts = [q.text for q in ai.quotes]
    assert any("cheating" in t for t in texts) and any(t.startswith("But each of them is an argument") for t in texts), ai.answer
    assert ai.answer.startswith("The op-ed sets out the other side’s case and answers it:"), ai.answer
    health = ask(other_bots["health-oped"], "What does the writer think of telehealth as a fix?")
    assert any(q.text.startswith("Telehealth depends on broadband") for q in health.quotes), health.answer


def test_one_arguments_per_build_shared_by_the_answerers(bot):
    """The other side is found once per build, for every answerer that quotes it, and only for
    an op-ed a question reaches; a reloaded build starts afresh."""
    from dataclasses import replace

    from bot.answerers.conversation import ConversationAnswerer
    from bot.answerers.extractive import ExtractiveAnswerer
    from bot.answerers.overview import OverviewAnswerer
    from bot.argument import Arguments

    shared = Arguments.of_index(bot.index)
    assert ExtractiveAnswerer(bot.index).arguments is shared
    assert ConversationAnswerer(bot.index).arguments is shared
    assert OverviewAnswerer(bot.index, bot.parts.embedder).arguments is shared
    assert Arguments.of_index(replace(bot.index)) is not shared
