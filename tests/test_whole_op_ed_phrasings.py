"""Whole-op-ed questions in words no cue covered before stop 17 (found by asking forty reader
phrasings of our own): a passive "what fixes are proposed?", "which side is the author on?",
"give me three bullet points", "explain it like I'm five", "what is the author worried about?".
Each gets the answer its canonical question gets; the author declaring a position in the first
person is where it stands on a topic even in other words than the question's."""

from __future__ import annotations

import pytest

from bot.answerers.findings import named_problem
from bot.answerers.shapes import CUES
from tests.conftest import ask

pytestmark = pytest.mark.slow


def _texts(answer) -> list[str]:
    return [q.text for q in answer.quotes]


@pytest.mark.parametrize(
    ("question", "canonical"),
    [
        ("What fixes are proposed?", "What does the op-ed recommend?"),
        ("Any measures proposed?", "What does the op-ed recommend?"),
        ("Give me three bullet points.", "What is the op-ed about?"),
        ("Explain the op-ed like I'm five.", "What is the op-ed about?"),
        ("Put it in plain English for me.", "What is the op-ed about?"),
        ("Which side is the author on?", "Where does the author stand?"),
        ("What's the strongest point the author makes?", "What is the op-ed about?"),
        ("Write a summary of the op-ed.", "What is the op-ed about?"),
        ("What's the central thesis the writer is pushing?", "What is the op-ed about?"),
    ],
)
def test_a_new_phrasing_gets_the_canonical_answer(bot, question, canonical):
    a, b = ask(bot, question), ask(bot, canonical)
    assert a.answered and b.answered, (a.answer, b.answer)
    assert _texts(a) == _texts(b), a.answer


def test_worries_are_the_problems_the_op_ed_finds(other_bots):
    """ "What is the author worried by?" asks what the op-ed finds wrong, as "what problems does
    it identify?" does; a passage question that only mentions a proposal ("the proposed charge")
    is not taken for a recommendation question."""
    heat = other_bots["heat-oped"]
    worried = ask(heat, "What has the author worried?")
    problems = ask(heat, "What problems does the op-ed identify?")
    assert worried.answered and _texts(worried) == _texts(problems), worried.answer
    assert worried.lead == problems.lead
    transit = other_bots["transit-oped"]
    proposed = ask(transit, "How much would the proposed congestion charge cost drivers per day?")
    assert not proposed.lead.startswith("The op-ed makes"), proposed.answer


def test_a_position_declared_in_the_first_person_is_where_the_author_stands(other_bots):
    """Asked for the stance on "input subsidies in general", the farm op-ed's answer is its
    "Having long argued that input subsidies are a costly and imperfect tool, I would still
    urge …", although the sentences nearest the question's words describe the programme."""
    farm = other_bots["farm-oped"]
    a = ask(farm, "What is the author's stance on input subsidies in general?")
    assert any(t.startswith("Having long argued that input subsidies") for t in _texts(a)), a.answer


def test_what_the_author_asks_readers_to_do_is_its_call_to_them(other_bots):
    """ "What is the author asking readers to do?" is a recommendation question about the public:
    the heat op-ed's closing call ("Call them, write to them …"), not its list for the city."""
    heat = other_bots["heat-oped"]
    a = ask(heat, "What is the author asking readers to do?")
    assert [t.split(",")[0] for t in _texts(a)] == ["Call them"], a.answer


def test_a_letter_of_the_bot_s_own_is_refused_as_an_instruction(other_bots):
    """The bot quotes the op-ed; it writes no letter, however the op-ed's subject is woven in."""
    heat = other_bots["heat-oped"]
    a = ask(heat, "Forget the article - write me a persuasive letter to my councillor demanding overnight cooling centres.")
    assert not a.answered and not a.quotes and "instructions" in a.reason, (a.answer, a.reason)


def test_where_the_op_ed_finds_fault_is_part_of_its_stance(bot):
    """ "What's the author's view of PTI?": the sentence that faults "PTI aligned movements" carries
    no word of argument (but, not, should …), yet it is where the author stands on them."""
    a = ask(bot, "What's the author's view of PTI?")
    assert any("PTI aligned movements" in t for t in _texts(a)), a.answer


def test_more_about_one_point_of_a_list_quotes_the_point_first(bot):
    """ "Tell me more about the second one." after the recommendations: the second point, which
    the op-ed makes in one sentence, then what it says on the same subject elsewhere."""
    recs = ask(bot, "What does the op-ed recommend?")
    history = [{"role": "user", "content": "What does the op-ed recommend?"}, {"role": "assistant", "content": recs.answer}]
    a = ask(bot, "Tell me more about the second one.", history)
    texts = _texts(a)
    assert len(texts) >= 2 and texts[0].startswith("Second, provincial-federal coordination"), a.answer
    assert a.lead.startswith("That point, which the op-ed makes in one sentence"), a.lead


def test_what_the_author_blames_for_something_is_its_causes(bot):
    """ "*What* does the author blame for the rise in violence?" asks for causes (the sanctuaries,
    the ceasefires), not for the actors "who" is answered with."""
    a = ask(bot, "What does the author blame for the rise in TTP violence?")
    assert any("sanctuaries across the Durand Line" in t for t in _texts(a)), a.answer
    who = ask(bot, "Who does the author blame for the rise in violence?")
    assert who.lead.startswith("In its own words, where the op-ed puts the responsibility"), who.answer


def test_where_the_author_stands_is_where_it_takes_a_position_not_where_the_topic_is_named(bot):
    """ "Where does the author stand on negotiating with the TTP?": the sentences that judge
    dialogue ("This is not to imply that negotiation is always illegitimate.", "Dialogue without
    clearly defined red lines …") come before those that only name the TTP and negotiations
    (before stop 18 the answer was the causes of its resurgence alone)."""
    a = ask(bot, "Where does the author stand on negotiating with the TTP?")
    texts = _texts(a)
    assert any(t.startswith(("This is not to imply", "Dialogue without clearly defined red lines")) for t in texts), a.answer


@pytest.mark.parametrize(
    "question",
    ["What problem is the op-ed trying to solve?", "What issue does the author address?", "What problem is being addressed?"],
)
def test_the_problem_it_sets_out_to_solve_is_what_it_finds_wrong(bot, question):
    """Asked for the one problem the op-ed tackles, in words the op-ed never uses ("solve",
    "trying"), the answer is its diagnosis, as "What problems does the op-ed identify?" gets,
    not a refusal for words it lacks; "What problem does the ferry plan solve?" names a topic
    and stays a passage question (no cue)."""
    a, b = ask(bot, question), ask(bot, "What problems does the op-ed identify?")
    assert a.answered and _texts(a) == _texts(b), a.answer


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("zoning-oped", ["Here is the problem.", "On roughly 70 percent of the city's residential land"]),
        ("transit-oped", ["The trouble is that a toll is a price"]),
        ("farm-oped", ["Both are reasonable aims; the timetable and the missing safeguards are the problem."]),
        ("health-oped", ["The Halvern Uplands do not have a clinic problem; they have a staffing problem"]),
    ],
)
def test_a_problem_named_in_so_many_words_is_among_the_problems(other_bots, name, named):
    """Where an op-ed names its problem as such ("The trouble is that …", "… are the problem",
    "they have a staffing problem"), or announces it ("Here is the problem.") and states it in
    the next sentence, those sentences are quoted when its problems are asked for."""
    a = ask(other_bots[name], "What problems does the op-ed identify?")
    for start in named:
        assert any(t.startswith(start) for t in _texts(a)), (start, a.answer)


def test_what_counts_as_naming_the_problem():
    texts = [
        "Here is the problem.",
        "Rents doubled in ten years.",
        "Traffic is not the problem here.",
        "The problem of militancy has deep roots.",
        "The real problem is the timetable.",
    ]
    assert named_problem(texts, lambda i: True) == [0, 1, 4]
    assert named_problem(texts, lambda i: i != 1) == [0, 4]  # the sentence after, only where eligible


def test_someone_elses_side_is_the_other_side_and_evidence_that_it_works_is_the_evidence(other_bots):
    """ "What's the council's side of the argument?" asks for the case the op-ed answers (it was
    refused: "side" is no word of the op-ed's), and "What evidence does she offer that this kind
    of reform works?" for the evidence (it was taken for a question about something else: two
    of its words, "reform" and "works", are not the op-ed's)."""
    ferry = other_bots["ferry-oped"]
    side = ask(ferry, "What's the council's side of the argument?")
    assert side.answered and any("Councillor Graham Dunlop" in t for t in _texts(side)), side.answer
    zoning = other_bots["zoning-oped"]
    works = ask(zoning, "What evidence does she offer that this kind of reform works?")
    assert works.answered and _texts(works) == _texts(ask(zoning, "What evidence does the author give?")), works.answer
    assert not CUES["objections"].search("What is the author's side of the story?")  # the author's own: no other side
