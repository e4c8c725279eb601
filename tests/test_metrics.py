"""Each metric on tiny hand-made cases whose right value is known, including a 0."""

import math

import pytest

from bot.evaluation.metrics import Item, compute, covered, includes, passed, percentile, token_f1

DOC = "Alpha beta gamma. Delta epsilon zeta. Eta theta iota."
DOCS = {"d": DOC}


def quote(text, n=1):
    i = DOC.index(text)
    return {"n": n, "text": text, "doc": "d", "paragraph": 1, "start": i, "end": i + len(text)}


def ans(answered, text="", quotes=(), total=10.0):
    return {"answer": text, "answered": answered, "quotes": list(quotes), "timings_ms": {"total": total}}


def span(text):
    i = DOC.index(text)
    return ("d", i, i + len(text))


A = Item("a", "q?", True, reference="delta epsilon", must_include=["epsilon|eps"], gold_quotes=["Delta epsilon zeta."], category="fact")
U = Item("u", "q?", False, category="none", must_not_include=["secret"])


def test_perfect_run():
    m = compute(
        [A, U],
        [ans(True, "It says delta epsilon", [quote("Delta epsilon zeta.")]), ans(False, "No.")],
        [[span("Delta epsilon zeta.")], []],
        DOCS,
    )
    assert m["answer_accuracy"] == 1.0 and m["refusal_accuracy"] == 1.0 and m["false_refusal_rate"] == 0.0
    assert m["quote_faithfulness"] == 1.0 and m["gold_quote_recall"] == 1.0 and m["citation_precision"] == 1.0
    assert m["retrieval_recall_at_k"] == 1.0 and m["mrr"] == 1.0 and m["pass_rate"] == 1.0
    assert m["must_not_include_violations"] == 0
    assert m["per_category"]["fact"]["answer_accuracy"] == 1.0 and m["per_category"]["none"]["refusal_accuracy"] == 1.0


def test_everything_wrong_scores_zero():
    bad_quote = {"n": 1, "text": "Alpha beta", "doc": "d", "paragraph": 1, "start": 1, "end": 11}  # offsets off by one
    m = compute(
        [A, U],
        [ans(False, "No."), ans(True, "the secret is out", [bad_quote])],
        [[span("Eta theta iota.")], []],
        DOCS,
        similarity=lambda a, b: 0.0,
    )
    assert m["answer_accuracy"] == 0.0 and m["refusal_accuracy"] == 0.0 and m["false_refusal_rate"] == 1.0
    assert m["quote_faithfulness"] == 0.0 and m["gold_quote_recall"] == 0.0
    assert m["retrieval_recall_at_k"] == 0.0 and m["mrr"] == 0.0 and m["token_f1"] == 0.0
    assert m["semantic_similarity"] == 0.0 and m["must_not_include_violations"] == 1 and m["pass_rate"] == 0.0


def test_answered_without_key_fact_is_not_accurate():
    m = compute([A], [ans(True, "It says alpha", [quote("Alpha beta gamma.")])], [[span("Alpha beta gamma.")]], DOCS)
    assert m["answer_accuracy"] == 0.0 and m["false_refusal_rate"] == 0.0
    assert m["citation_precision"] == 0.0 and m["gold_quote_recall"] == 0.0


def test_mrr_and_partial_coverage():
    retrieved = [[span("Alpha beta gamma."), span("Eta theta iota."), span("Delta epsilon zeta.")]]
    m = compute([A], [ans(True, "epsilon", [quote("Delta epsilon")])], retrieved, DOCS)
    assert m["mrr"] == pytest.approx(1 / 3)
    # "Delta epsilon" covers 13 of the gold's 19 characters: at least half, so it counts
    assert m["gold_quote_recall"] == 1.0
    m2 = compute([A], [ans(True, "epsilon", [quote("Delta")])], retrieved, DOCS)
    assert m2["gold_quote_recall"] == 0.0  # 5 of 19 characters


def test_citation_precision_counts_each_quote():
    quotes = [quote("Delta epsilon zeta.", 1), quote("Eta theta iota.", 2)]
    m = compute([A], [ans(True, "epsilon", quotes)], [[]], DOCS)
    assert m["citation_precision"] == 0.5


def test_includes_alternatives_case_and_curly_quotes():
    assert includes("afghan taliban|kabul", "The AFGHAN Taliban helped")
    assert includes("TTP's resurgence", "the TTP’s resurgence")
    assert not includes("kabul|islamabad", "Peshawar")


def test_token_f1_and_percentile_and_coverage():
    assert token_f1("a b c", "a b c") == 1.0
    assert token_f1("x y", "a b") == 0.0
    assert token_f1("a b", "a b c d") == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    assert percentile([1, 2, 3, 4], 0.5) == 2.5 and math.isnan(percentile([], 0.5))
    assert covered(("d", 0, 10), [("d", 0, 5)]) == 0.5 and covered(("d", 0, 10), [("e", 0, 10)]) == 0.0


def test_pass_requires_no_violation():
    a = ans(False, "No secret here")
    assert not passed(U, a)
    assert passed(U, ans(False, "Not in the op-ed."))
