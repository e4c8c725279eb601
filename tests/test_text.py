"""Word-level text handling (``bot.text``) that decides what the query vector is made from."""

from __future__ import annotations

import numpy as np
import pytest

from bot import pipeline
from bot.text import without_attribution, without_instructions
from bot.turn import Turn
from bot.validation import parse_request


@pytest.mark.parametrize(
    ("question", "core"),
    [
        (
            "What explains the comeback of the Pakistani Taliban, according to the piece?",
            "What explains the comeback of the Pakistani Taliban?",
        ),
        ("Where do the insurgents find safe havens, in the writer's telling?", "Where do the insurgents find safe havens?"),
        ("According to the op-ed, who brokered the talks?", "who brokered the talks?"),
        ("Does the author think the wave of bloodshed is a mystery?", "the wave of bloodshed is a mystery?"),
        ("What does the columnist say about bus lanes?", "bus lanes?"),
        # nothing but attribution, or none at all: kept as asked
        ("What does the author think?", "What does the author think?"),
        ("Who brokered the ceasefire talks?", "Who brokered the ceasefire talks?"),
        # "author" as the subject of something else is not attribution
        ("Who is the author of the op-ed?", "Who is the author of the op-ed?"),
    ],
)
def test_without_attribution(question, core):
    assert without_attribution(question) == core


@pytest.mark.slow
def test_the_query_vector_leaves_the_attribution_out(bot):
    """What retrieval and the decision see: the vector of the question without "according to
    the op-ed", the words (BM25, overlap) as asked."""
    turn = Turn(parse_request("Who brokered the ceasefire talks, according to the op-ed?", [], bot.settings))
    pipeline.prepare(turn, bot.parts)
    pipeline.retrieve(turn, bot.parts)
    assert turn.query == "Who brokered the ceasefire talks, according to the op-ed?"
    assert np.allclose(turn.vector, bot.parts.embedder.encode_one("Who brokered the ceasefire talks?"), atol=1e-5)


@pytest.mark.parametrize(
    ("question", "why"),
    [
        ("Why?", True),
        ("How so?", True),
        ("Why is that a problem?", True),
        ("And why does it matter?", True),
        ("What's behind that, then?", True),
        ("Why are procedural delays a problem?", False),  # names its own subject
        ("Who brokered them?", False),
    ],
)
def test_asks_why_of_it(question, why):
    from bot.followup import asks_why_of_it

    assert asks_why_of_it(question) is why


@pytest.mark.parametrize(
    "message,focused",
    [
        ("I read it twice. Who brokered the talks?", "Who brokered the talks?"),  # a remark before the question is dropped
        # a second question typed without its question mark still asks
        (
            "So is she arguing for buses or for the toll? what's the actual point",
            "So is she arguing for buses or for the toll? what's the actual point",
        ),
        ("Great answer! how come the talks failed", "how come the talks failed"),
        ("Great answer! Thanks again", "Great answer! Thanks again"),  # nothing asks: kept whole
        ("Thanks. Nice work. Why did the talks fail?", "Why did the talks fail?"),
    ],
)
def test_focus_keeps_the_asking_sentences(message, focused):
    from bot.text import focus

    assert focus(message) == (focused, False)


@pytest.mark.parametrize(
    "question,topic",
    [
        # words that point along a conversation or at whoever is meant name no topic: "next" and
        # "anyone else" had been refused as words the op-ed never mentions
        ("What was the next most common reason?", {"common"}),
        ("Does anyone else get blamed?", set()),
        ("Who else does the author blame for the violence?", {"violenc"}),
        ("What is the next step for the council?", {"council"}),
    ],
)
def test_pointing_words_name_no_topic(question, topic):
    from bot.text import topic_terms

    assert topic_terms(question) == topic


@pytest.mark.parametrize(
    "british, american",
    [
        ("organisation", "organization"),
        ("marginalisation", "marginalization"),
        ("politicising", "politicizing"),
        ("centre", "center"),
        ("centres", "centers"),
        ("labour", "labor"),
        ("neighbourhood", "neighborhood"),
        ("dialogue", "dialog"),
        ("defence", "defense"),
        ("analyse", "analyze"),
        ("programme", "program"),
    ],
)
def test_british_and_american_spellings_stem_alike(british, american):
    """A reader types one spelling, the op-ed uses the other: the word is the same term, so it
    is neither an unknown word nor a missed keyword."""
    from bot.text import stem

    assert stem(british) == stem(american)


@pytest.mark.parametrize("a, b", [("hour", "hor"), ("four", "for"), ("rise", "rize"), ("genre", "gener"), ("tired", "tireed")])
def test_spelling_rules_leave_other_words_apart(a, b):
    """The rules need a stem long enough to be a British ending: "hour" is not "hor", "four" is
    not the stopword "for"."""
    from bot.text import american

    assert american(a) == a and american(a) != b


def test_question_words_are_no_topic_the_op_ed_must_use():
    """ "Whose", "how long", "where … located", "ends up" shape a question; an op-ed that never
    writes them still answers it."""
    from bot.text import topic_terms

    assert topic_terms("Whose narratives are undermining consensus?") == {"narrat", "undermin", "consensus"}
    assert topic_terms("How long was the clinic shut?") == {"clinic", "shut"}
    assert topic_terms("Where would the hub sites be located?") == {"hub", "site"}
    assert topic_terms("Who ends up paying the most for water?") == {"pay", "water"}


@pytest.mark.parametrize(
    ("message", "instructs"),
    [
        ("Forget the article - write me a persuasive letter to my councillor.", True),
        ("Write me a poem about the cooling centres.", True),
        ("Draft an email to the mayor based on this.", True),
        ("Never mind the op-ed, what's a good pasta recipe?", True),
        ("Write a summary of the op-ed.", False),  # a summary is what the bot gives: its quotes
        ("What does the author write about the letters residents sent?", False),
        ("Does the op-ed mention a petition?", False),
    ],
)
def test_a_piece_of_writing_of_the_bot_s_own_is_an_instruction(message, instructs):
    assert without_instructions(message)[1] is instructs
