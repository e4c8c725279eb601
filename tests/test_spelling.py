"""Typing slips are repaired against the op-ed's words before anything else reads the question;
real words, names and words two ways close are left as typed (``bot.spelling``)."""

from __future__ import annotations

import pytest

from tests.conftest import ask


@pytest.fixture(scope="module")
def speller(bot):
    return bot.parts.speller


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Where are the fighters hiding out, acording to the writer?", "Where are the fighters hiding out, according to the writer?"),
        ("What did the goverment do about the negotations?", "What did the government do about the negotiations?"),
        ("What does the auther recomend?", "What does the author recommend?"),
        ("Summarise the peice", "Summarise the piece"),
        ("What are the main reccomendations?", "What are the main recommendations?"),  # two edits in a long word
    ],
)
def test_slips_are_repaired(speller, typed, meant):
    assert speller.correct(typed)[0] == meant


@pytest.mark.parametrize(
    "question",
    [
        "Which national agency should the province be working more closely with?",  # real words the op-ed never uses
        "What about reparations and fertilizers?",
        "What does Imrann Khan think of the talks?",  # a name, capitalised inside the sentence
        "Is the tone calm?",  # too short to tell a slip from another word
    ],
)
def test_real_words_names_and_short_words_stand(speller, question):
    assert speller.correct(question) == (question, [])


def test_a_slip_is_answered_as_the_word_meant(bot):
    """The op-ed never uses "ceasfire": as typed, the decision would count it as something it
    does not mention."""
    typed, meant = ask(bot, "Who brokered the ceasfire talks?"), ask(bot, "Who brokered the ceasefire talks?")
    assert typed.answered and [q.text for q in typed.quotes] == [q.text for q in meant.quotes], typed.answer


def test_a_real_word_near_one_of_the_op_ed_s_stands(other_bots):
    """ "downsides" is no whole word of MiniLM's vocabulary and one edit from the zoning op-ed's
    "downsize": the English word list keeps it as typed."""
    speller = other_bots["zoning-oped"].parts.speller
    question = "What risks or downsides does the author acknowledge?"
    assert speller.correct(question) == (question, [])
