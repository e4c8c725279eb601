"""The CLI as a user runs it: real subprocesses, real index, real model."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import cli_env

pytestmark = pytest.mark.slow
OPEDBOT = [sys.executable, "-m", "bot.cli"]


def run(args, data_dir, **kw):
    return subprocess.run(OPEDBOT + args, capture_output=True, text=True, env=cli_env(data_dir), timeout=300, **kw)


def test_ask_json_contract(session_data_dir):
    p = run(["ask", "Who brokered the ceasefire talks?", "--json"], session_data_dir)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert list(d) == ["question", "answer", "answered", "quotes", "backend", "timings_ms"]
    assert d["answered"] and d["backend"] == "extractive"
    q = d["quotes"][0]
    assert "Afghan Taliban" in q["text"] and q["paragraph"] == 2 and q["doc"] == "kp-oped-2025-09-09"


def test_ask_human_output_shows_quotes_with_paragraphs(session_data_dir):
    p = run(["ask", "What is NACTA?"], session_data_dir)
    assert p.returncode == 0
    assert p.stdout.startswith("The op-ed argues:")
    assert "[1] paragraph 8 of kp-oped-2025-09-09:" in p.stdout


def test_batch_keeps_order_and_ids_and_uses_history(session_data_dir, tmp_path):
    batch = tmp_path / "b.jsonl"
    lines = [
        {"id": "q1", "question": "What is NACTA?"},
        {"id": 2, "question": "Who brokered them?", "history": [{"role": "user", "content": "What happened with the ceasefire talks?"}]},
        {"id": "q3", "question": "What is the capital of France?"},
    ]
    batch.write_text("\n".join(json.dumps(x) for x in lines) + "\n", "utf-8")
    p = run(["ask", "--batch", str(batch)], session_data_dir)
    assert p.returncode == 0, p.stderr
    out = [json.loads(x) for x in p.stdout.splitlines()]
    assert [o["id"] for o in out] == ["q1", 2, "q3"]
    assert "Afghan Taliban" in out[1]["quotes"][0]["text"]
    assert out[2]["answered"] is False and out[2]["quotes"] == []


def test_history_file(session_data_dir, tmp_path):
    h = tmp_path / "h.json"
    h.write_text(json.dumps([{"role": "user", "content": "What happened with the ceasefire talks?"}]), "utf-8")
    p = run(["ask", "Who brokered them?", "--history", str(h), "--json"], session_data_dir)
    assert p.returncode == 0 and "Afghan Taliban" in json.loads(p.stdout)["quotes"][0]["text"]


def _bad(args, data_dir, message):
    p = run(args, data_dir)
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], p.stderr
    assert "Traceback" not in p.stderr and p.stdout == ""


def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path):
    d = tmp_path / "fresh"
    bad_batch = tmp_path / "bad.jsonl"
    bad_batch.write_text('{"id": "a", "question": "ok?"}\n{not json\n', "utf-8")
    bad_hist = tmp_path / "h.json"
    bad_hist.write_text('[{"role": "wizard", "content": "x"}]', "utf-8")
    cases = [
        (["ask", ""], "empty"),
        (["ask", "   "], "empty"),
        (["ask", "x" * 2001], "limit is 2000"),
        (["ask", "bell\x07?"], "control characters"),
        (["ask", "--batch", str(bad_batch)], "bad.jsonl:2"),
        (["ask", "ok?", "--history", str(bad_hist)], "role"),
        (["ask", "ok?", "--history", str(tmp_path / "missing.json")], "no such file"),
        (["ask"], "QUESTION or --batch"),
        (["index", "add", str(tmp_path / "nope.pdf")], "no such file"),
        (["nonsense"], "invalid choice"),
    ]
    for args, message in cases:
        _bad(args, d, message)
    assert not (d / "CURRENT").exists() and not (d / "builds").exists()


def test_index_add_and_docs(tmp_path, session_data_dir):
    d = tmp_path / "data"
    shutil.copytree(session_data_dir, d)
    note = tmp_path / "water-op-ed.md"
    note.write_text(
        "---\ntitle: Water first\ndate: 2025-02-03\n---\nThe Indus treaty is argued to be fragile.\n\nDams need consent.", "utf-8"
    )
    p = run(["index", "add", str(note)], d)
    assert p.returncode == 0 and p.stdout.startswith("built: 2 document(s)"), p.stdout + p.stderr
    p = run(["docs", "--json"], d)
    docs = {x["id"]: x for x in json.loads(p.stdout)}
    assert docs["water-op-ed"]["title"] == "Water first" and docs["water-op-ed"]["paragraphs"] == 2
    p = run(["ask", "Why is the Indus treaty fragile?", "--json"], d)
    a = json.loads(p.stdout)
    assert a["answered"] and a["quotes"][0]["doc"] == "water-op-ed"
    p = run(["index"], d)
    assert p.stdout.startswith("up to date")
