"""The answer/refuse decision (``bot.decision``) and sentence selection, unit by unit.

The decision is a pure function of the evidence and a fitted model: the model's mechanics are
tested with hand-made coefficients, the shipped model's leanings on the evidence it was fitted
from. Selection runs over the real index (sentences of the shipped op-ed)."""

from __future__ import annotations

import json
import math

import pytest

from bot.answerers.extractive import ExtractiveAnswerer, Ranking, Scored
from bot.decision import (
    ASKS_REACTION,
    FEATURES,
    MODEL_PATH,
    Evidence,
    Model,
    asks_fact,
    asks_view,
    decide,
    features,
    focus_words,
    gives,
    gives_fact,
    reason,
    ruled_out,
    wanted_kind,
)
from bot.errors import ConfigError


def ev(cosine=0.5, overlap=0.5, known=1.0, unknown=(), n_terms=3, wants=None, has=True, **more) -> Evidence:
    return Evidence(cosine, overlap, known, list(unknown), n_terms, wants, has, **more)


def model(**coef) -> Model:
    """A model that weighs only the named signals (mean 0, scale 1), answering at p >= 0.5."""
    n = len(FEATURES)
    return Model(FEATURES, (0.0,) * n, (1.0,) * n, tuple(coef.get(f, 0.0) for f in FEATURES), coef.get("intercept", 0.0))


def test_the_shipped_model_loads_and_weighs_every_signal():
    m = Model.load(MODEL_PATH)
    assert m.features == FEATURES and len(m.coef) == len(FEATURES) and 0 < m.threshold < 1
    assert all(s > 0 for s in m.scale)
    about = m.about
    assert "fresh" not in about["fitted_on"]  # the held-out set is never fitted on
    assert about["cross_validation"]["all (each set left out)"]["accuracy"] > 0.5


def test_the_shipped_model_leans_the_way_the_evidence_points():
    """Measured, not assumed: closer passages and a document that knows the question's names
    make answering likelier; a passage without the kind of answer asked for, or a name the
    op-ed never uses, make it less likely."""
    m = Model.load(MODEL_PATH)
    base = ev(cosine=0.5, overlap=0.5, known=0.8, unknown=["x"], n_terms=4)
    assert m.probability(ev(cosine=0.75, overlap=0.5, known=0.8, unknown=["x"], n_terms=4)) > m.probability(base)
    assert m.probability(ev(cosine=0.5, overlap=0.5, known=0.8, unknown=["x"], n_terms=4, unknown_names=["india"])) < m.probability(base)
    assert m.probability(ev(cosine=0.5, overlap=0.5, known=0.8, unknown=["x"], n_terms=4, wants="number", has=False)) < m.probability(base)


def test_decide_answers_at_the_threshold_and_refuses_below_it():
    m = model(cosine=10.0, intercept=-5.0)  # p = 0.5 at cosine 0.5
    assert decide(ev(cosine=0.6), m) is None
    assert decide(ev(cosine=0.4), m) is not None
    assert math.isclose(m.probability(ev(cosine=0.5)), 0.5)


def test_the_gate_refuses_before_the_decision_is_asked():
    """Below the off-topic gate's threshold a question is refused however the main model would
    have answered it; above it the main model decides."""
    eager = model(intercept=10.0)  # answers anything
    gated = Model(*[getattr(eager, f) for f in ("features", "mean", "scale", "coef", "intercept")], gate=model(cosine=10.0, intercept=-2.0))
    assert decide(ev(cosine=0.1), eager) is None
    assert decide(ev(cosine=0.1), gated) is not None  # gate p = 0.27
    assert decide(ev(cosine=0.5), gated) is None  # gate p = 0.95


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("How did the federal government respond when KP's leadership urged consultation?", True),
        ("What did the state water minister say in response to this criticism?", True),
        ("How has the Afghan Taliban government responded to Pakistan's demands?", True),
        ("How are companies reacting to the declining credibility of the qualification?", False),
        ("why does a slow response matter so much here?", False),
    ],
)
def test_a_question_after_someones_response(question, asks):
    assert bool(ASKS_REACTION.search(question)) is asks


def test_a_response_the_op_ed_does_not_report_is_refused_whatever_the_model_says():
    """However close the passages, "How did X respond?" is refused when none of them reports a
    response (a model backend does not rescue it: tests/test_openai_backend.py)."""
    eager = model(intercept=10.0)
    why = ruled_out("How did the minister respond?", ["The state has proposed a pipeline."], set())
    assert why == "asks how someone responded; the op-ed reports no response"
    assert decide(ev(ruled_out=why), eager) == why
    assert decide(ev(), eager) is None
    assert not ruled_out("What was the board's response?", ["The board's response so far has been expensive and short-sighted."], set())
    # a response in another sense reports none
    assert ruled_out("How did the government respond?", ["Politicising it can slow operational responses."], set())


def test_a_year_the_op_ed_never_names_rules_the_question_out():
    """ "What was the pass rate in 2022?" of an op-ed that gives 2023's: none of its passages is
    about that year. A year it names leaves the decision to the model."""
    years = {"2023", "1979"}
    assert ruled_out("What was the SSLCE pass rate in 2022?", [], years) == "asks about 2022, which the op-ed never mentions"
    assert ruled_out("How many candidates sat the 2023 SSLCE?", [], years) == ""


def test_what_came_after_the_op_ed_and_an_office_it_never_names_rule_the_question_out():
    """An op-ed cannot report what happened after it ran, nor the view of a mayor or an MP it
    never mentions; "since the article says …" gives a reason, and an office it names, or the
    author's view of one, leaves the decision to the model."""
    words = frozenset("the council voted on plan island ferry mayor".split())
    assert ruled_out("Did the council reverse its decision after this column ran?", [], set(), words)
    assert ruled_out("What happened since the op-ed was published?", [], set(), words)
    assert not ruled_out("Since the article says the talks failed, what does it propose?", [], set(), words)
    why = ruled_out("What does the island's member of parliament think about the plan?", [], set(), words)
    assert why == "asks for the view of someone the op-ed never mentions (parliament)"
    assert not ruled_out("What does the mayor think about the plan?", [], set(), words)  # it names one
    assert not ruled_out("What does the council think about the plan?", [], set(), words)
    assert not ruled_out("What does the author think the governor should do?", [], set(), words)
    # what such an office decided is no more in it than what it thinks
    assert ruled_out("What did parliament decide when it debated the plan?", [], set(), words)


def test_the_shipped_gate_loads_and_is_saved_with_the_model(tmp_path):
    m = Model.load(MODEL_PATH)
    assert m.gate is not None and m.gate.features == FEATURES
    assert m.about["gate"]["cross_validation"]["answerable_stopped"] < 0.05  # measured by calibrate, recorded in the file
    copy = tmp_path / "m.json"
    copy.write_text(json.dumps(m.to_dict()))
    assert Model.load(copy).gate == m.gate


def test_reasons_name_what_weighs_against_answering():
    assert reason(ev(wants="number", has=False)) == "asks for a number; the closest passages give none"
    assert reason(ev(unknown=["india"], unknown_names=["india"])) == "asks about india, which the op-ed never mentions"
    assert reason(ev(unknown_focus=["chief", "minister"])) == "asks about chief minister, which the op-ed never mentions"
    assert reason(ev(unknown=["chief", "minister"])) == "the op-ed never mentions: chief, minister"
    assert reason(ev(cosine=0.21)) == "no passage is close enough (best cosine 0.21)"


def test_features_follow_the_declared_order():
    x = features(ev(cosine=0.7, overlap=1.0, known=0.5, unknown=["a", "b"], n_terms=12, asks_fact=True, chunk_cosine=0.4))
    got = dict(zip(FEATURES, x))
    assert got["cosine"] == 0.7 and got["whole"] == 1.0 and got["terms"] == 8.0  # capped
    assert got["unknown"] == 2.0 and got["chunk_cosine"] == 0.4 and got["fact_cosine"] == 0.7


def test_a_model_fitted_on_other_signals_is_a_clear_error(tmp_path):
    raw = json.loads(MODEL_PATH.read_text())
    raw["features"] = raw["features"][:-1]
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match="opedbot calibrate"):
        Model.load(bad)
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="cannot read"):
        Model.load(bad)


@pytest.mark.parametrize(
    "question,fact,view",
    [
        ("Who is the head of NACTA?", True, False),
        ("How many people were killed in 2024?", True, False),
        ("In which year were the districts merged?", True, False),
        ("Why does the author think talks fail?", False, True),
        ("What does the writer say about the army?", False, True),
        ("Is the author against all talks?", False, False),
    ],
)
def test_question_types(question, fact, view):
    assert asks_fact(question) is fact and asks_view(question) is view


@pytest.mark.parametrize(
    "question,focus",
    [
        ("Who is the current chief minister of Khyber Pakhtunkhwa?", ["current", "chief", "minister"]),
        ("How many people were killed in militant attacks?", ["people"]),
        ("How much money has the government allocated?", ["money"]),
        ("What is the population of Varunapuri?", ["population"]),
        # a qualifier names no thing: what follows "of" does
        ("What is the name of the TTP’s leader?", ["name", "ttp", "leader"]),
        ("What is the exact number of attacks in 2024?", ["exact", "number", "attacks"]),
        ("Who brokered the ceasefire talks?", []),  # asks who, names no thing
        ("Which country must Pakistan improve relations with?", []),  # a category: left out
        ("What does the op-ed say about NACTA?", []),
    ],
)
def test_focus_words(question, focus):
    assert focus_words(question) == focus


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


@pytest.mark.parametrize(
    ("question", "passage", "given"),
    [
        ("Who brokered the talks?", "Since 2021, ceasefire talks, many brokered with the help of the Afghan Taliban, resumed.", True),
        ("Who brokered the talks?", "Since 2021, ceasefire talks were brokered and then collapsed.", False),
        ("Which body should KP work with?", "KP should deepen cooperation with NACTA.", True),  # an acronym is a name
        ("Who leads the TTP?", "Since then the TTP has regrouped.", False),  # the question's own name is no answer
        ("How many buses are in the fleet?", "It runs a fleet of 61 buses.", True),
        ("How many buses are in the fleet?", "Its buses are old.", False),
        ("When did Tellford bring in its charge?", "Tellford introduced its cordon charge in 2019.", True),
    ],
)
def test_gives_fact(question, passage, given):
    assert gives_fact(question, passage) is given


def test_a_passage_with_the_fact_asked_for_makes_answering_likelier():
    """Measured, not assumed: fitted on the fact sets, the shipped model leans on it."""
    m = Model.load(MODEL_PATH)
    asked = dict(cosine=0.7, overlap=0.8, known=1.0, n_terms=4, asks_fact=True)
    assert m.probability(ev(**asked, fact_given=True)) > m.probability(ev(**asked, fact_given=False)) + 0.1


# -- selection over the shipped op-ed's sentences


@pytest.fixture(scope="module")
def answerer(bot):
    return ExtractiveAnswerer(bot.index, bot.embedder)


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
