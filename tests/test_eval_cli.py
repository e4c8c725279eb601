"""`opedbot eval` end to end on a small set, in process: files written with real content, bars,
compare."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.conftest import DATA, read_jsonl

pytestmark = pytest.mark.slow


@pytest.fixture
def run(cli):
    def _run(args, data_dir):
        code, out, err = cli(args, data_dir)
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return _run


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    items = read_jsonl(DATA / "eval.jsonl")
    pick = [i for i in items if i["id"] in {"f01", "u01", "n02", "o01", "a02", "l01"}]
    p = tmp_path_factory.mktemp("set") / "small.jsonl"
    p.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in pick), "utf-8")
    return p, pick


def test_eval_writes_reports_and_gates(run, session_data_dir, small_set, tmp_path):
    path, pick = small_set
    out = tmp_path / "run1"
    p = run(["eval", str(path), "--out", str(out), "--fail-under", "quote_faithfulness=1.0"], session_data_dir)
    assert p.returncode == 0, p.stderr
    assert "answer_accuracy" in p.stdout and "per category" in p.stdout
    answers = read_jsonl(out / "answers.jsonl")
    assert [a["id"] for a in answers] == [i["id"] for i in pick]
    m = json.loads((out / "metrics.json").read_text())
    for key in (
        "answer_accuracy",
        "refusal_accuracy",
        "false_refusal_rate",
        "quote_faithfulness",
        "gold_quote_recall",
        "citation_precision",
        "retrieval_recall_at_k",
        "mrr",
        "token_f1",
        "semantic_similarity",
        "must_not_include_violations",
        "latency_p50_ms",
        "latency_p95_ms",
        "n",
        "per_category",
    ):
        assert key in m, key
    assert m["n"] == 6 and m["quote_faithfulness"] == 1.0 and 0 < m["semantic_similarity"] <= 1
    html = (out / "report.html").read_text()
    assert "<svg" in html and "latency histogram" in html and "f01" in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html  # the payload question is escaped
    md = (out / "report.md").read_text()
    assert "| f01 |" in md and "## Per category" in md
    refused = [a for a in answers if not a["answered"]]
    assert refused and all(a["reason"] and a["reason"] in md for a in refused)  # why each was refused

    # an impossible bar fails with exit 1 and names the metric
    p = run(
        [
            "eval",
            str(path),
            "--out",
            str(tmp_path / "run2"),
            "--fail-under",
            "answer_accuracy=1.01",
            "--compare",
            str(out / "metrics.json"),
        ],
        session_data_dir,
    )
    assert p.returncode == 1 and "answer_accuracy" in p.stderr and "below its bar" in p.stderr
    assert "delta" in p.stdout and "+0.000" in p.stdout

    p = run(["eval", str(path), "--out", str(tmp_path / "run3"), "--json"], session_data_dir)
    assert json.loads(p.stdout)["n"] == 6


def test_eval_bad_test_set(run, tmp_path, session_data_dir):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "q?"}\n', "utf-8")
    p = run(["eval", str(bad)], session_data_dir)
    assert p.returncode == 2 and "missing answerable" in p.stderr and "Traceback" not in p.stderr
    p = run(["eval", str(DATA / "eval.jsonl"), "--fail-under", "nonsense"], session_data_dir)
    assert p.returncode == 2 and "METRIC=VALUE" in p.stderr


def test_shipped_test_set_is_well_formed():
    items = read_jsonl(DATA / "eval.jsonl")
    assert len(items) >= 40
    cats = {i["category"] for i in items}
    assert {"factual", "paraphrase", "list", "followup", "unanswerable", "offtopic", "adversarial"} <= cats
    text = (DATA.parents[1] / "index" / "corpus" / "kp-oped-2025-09-09.txt").read_text("utf-8")
    for i in items:
        for g in i["gold_quotes"]:
            assert g in text, (i["id"], g)
        assert i["answerable"] or not i["gold_quotes"]
