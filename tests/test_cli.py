"""The CLI as a user runs it, in process (``main(argv)``, real index, real model), plus one
end-to-end run of the installed console script in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import ROOT, cli_env

pytestmark = pytest.mark.slow


@pytest.fixture
def run(cli):
    return cli


def test_console_script_end_to_end(session_data_dir):
    """The installed ``opedbot`` command, as README shows it: a separate process, JSON out."""
    p = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "opedbot") if (ROOT / ".venv" / "bin" / "opedbot").exists() else "opedbot",
            "ask",
            "Who brokered the ceasefire talks?",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=cli_env(session_data_dir),
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert list(d) == ["question", "answer", "answered", "reason", "quotes", "backend", "fallback", "timings_ms", "lead", "hint"]
    assert d["answered"] and d["backend"] == "extractive" and d["reason"] is None
    q = d["quotes"][0]
    assert "Afghan Taliban" in q["text"] and q["paragraph"] == 2 and q["doc"] == "kp-oped-2025-09-09"


def test_ask_human_output_shows_quotes_with_paragraphs(run, session_data_dir):
    code, out, _ = run(["ask", "What is NACTA?"], session_data_dir)
    assert code == 0
    assert out.startswith("According to the op-ed: “Practically, KP should deepen cooperation")
    assert "[1] paragraph 8 of kp-oped-2025-09-09, characters 4302–4565" in out
    assert out.count("deepen cooperation") == 1  # the quote is printed once


def test_explain_says_why_it_refused(run, session_data_dir):
    code, out, _ = run(["ask", "Who is the chief minister of KP?", "--explain"], session_data_dir)
    assert code == 0
    assert "why: asks about chief minister, which the op-ed never mentions" in out
    assert "retrieved: kp-oped-2025-09-09 [" in out


def test_batch_keeps_order_and_ids_and_uses_history(run, session_data_dir, tmp_path):
    batch = tmp_path / "b.jsonl"
    lines = [
        {"id": "q1", "question": "What is NACTA?"},
        {"id": 2, "question": "Who brokered them?", "history": [{"role": "user", "content": "What happened with the ceasefire talks?"}]},
        {"id": "q3", "question": "What is the capital of France?"},
    ]
    batch.write_text("\n".join(json.dumps(x) for x in lines) + "\n", "utf-8")
    code, out, err = run(["ask", "--batch", str(batch)], session_data_dir)
    assert code == 0, err
    answers = [json.loads(x) for x in out.splitlines()]
    assert [o["id"] for o in answers] == ["q1", 2, "q3"]
    assert "Afghan Taliban" in answers[1]["quotes"][0]["text"]
    assert answers[2]["answered"] is False and answers[2]["quotes"] == [] and answers[2]["reason"]


def test_history_file(run, session_data_dir, tmp_path):
    h = tmp_path / "h.json"
    h.write_text(json.dumps([{"role": "user", "content": "What happened with the ceasefire talks?"}]), "utf-8")
    code, out, _ = run(["ask", "Who brokered them?", "--history", str(h), "--json"], session_data_dir)
    assert code == 0 and "Afghan Taliban" in json.loads(out)["quotes"][0]["text"]


def test_bad_input_is_one_line_exit_2_and_writes_nothing(run, tmp_path):
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
        (["ask", "lone \ud800 surrogate?"], "not valid Unicode"),
        (["ask", "--batch", str(bad_batch)], "bad.jsonl:2"),
        (["ask", "ok?", "--history", str(bad_hist)], "role"),
        (["ask", "ok?", "--history", str(tmp_path / "missing.json")], "no such file"),
        (["ask"], "QUESTION or --batch"),
        (["ask", "ok?", "--backend", "nope"], "unknown backend 'nope'"),
        (["index", "add", str(tmp_path / "nope.pdf")], "no such file"),
        (["nonsense"], "invalid choice"),
    ]
    for args, message in cases:
        code, out, err = run(args, d)
        assert code == 2, (args, code, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, err)
        assert "Traceback" not in err and out == ""
    assert not (d / "CURRENT").exists() and not (d / "builds").exists()


def test_every_command_is_reachable(run, tmp_path):
    """serve, eval and bench plug in as entry points; the CLI lists them without importing them."""
    code, out, _ = run(["--help"], tmp_path)
    assert code == 0
    for command in ("ask", "index", "docs", "feedback", "serve", "eval", "bench"):
        assert command in out


def test_index_add_and_docs(run, tmp_path, session_data_dir):
    d = tmp_path / "data"
    shutil.copytree(session_data_dir, d)
    note = tmp_path / "water-op-ed.md"
    note.write_text(
        "---\ntitle: Water first\ndate: 2025-02-03\n---\nThe Indus treaty is argued to be fragile.\n\nDams need consent.", "utf-8"
    )
    code, out, err = run(["index", "add", str(note)], d)
    assert code == 0 and out.startswith("built: 2 document(s)"), out + err
    code, out, _ = run(["docs", "--json"], d)
    docs = {x["id"]: x for x in json.loads(out)}
    assert docs["water-op-ed"]["title"] == "Water first" and docs["water-op-ed"]["paragraphs"] == 2
    code, out, _ = run(["ask", "Why is the Indus treaty fragile?", "--json"], d)
    a = json.loads(out)
    assert a["answered"] and a["quotes"][0]["doc"] == "water-op-ed"
    code, out, _ = run(["index"], d)
    assert out.startswith("up to date")
