"""Faults: builds killed at random points, damaged builds, a full disk, a server killed under
load. The previous index keeps serving the same answers, damage is reported (never a crash),
and `opedbot index --force` always recovers."""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.request import Request, urlopen

import pytest

from bot.feedback import FeedbackStore
from index.store import IndexStore
from tests.conftest import DATA, cli_env, free_port

pytestmark = pytest.mark.slow
WATER = DATA / "other-opeds" / "water-oped.txt"
QUESTIONS = ["Who brokered the ceasefire talks?", "What does the op-ed recommend?", "What is NACTA?"]


def _copy(session_data_dir: Path, to: Path) -> Path:
    shutil.copytree(session_data_dir, to, ignore=shutil.ignore_patterns(".build.lock"))
    return to


def _answers(cli, data_dir: Path) -> list[str]:
    out = []
    for q in QUESTIONS:
        code, text, err = cli(["ask", q, "--json"], data_dir)
        assert code == 0, err
        out.append(json.loads(text)["answer"])
    return out


def _build_dir(data_dir: Path) -> Path:
    return data_dir / "builds" / (data_dir / "CURRENT").read_text().strip()


def test_builds_killed_at_random_points_serve_the_old_index_or_the_whole_new_one(tmp_path, session_data_dir, cli):
    data_dir = _copy(session_data_dir, tmp_path / "data")
    first, before = (data_dir / "CURRENT").read_text(), _answers(cli, data_dir)
    rng = random.Random(11)
    interrupted = 0
    for trial in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "index", "add", str(WATER)],
            env=cli_env(data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, 2.5))  # start-up, reading, embedding or writing
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        if (data_dir / "CURRENT").read_text() != first:
            # the build had swapped in before the kill (or finished): it must be whole
            code, out, _ = cli(["docs", "--json"], data_dir)
            assert code == 0 and {d["id"] for d in json.loads(out)} == {"kp-oped-2025-09-09", "water-oped"}, f"trial {trial}"
            assert cli(["index", "remove", "water-oped"], data_dir)[0] == 0  # back for the next trial
            first = (data_dir / "CURRENT").read_text()
            continue
        assert _answers(cli, data_dir) == before, f"trial {trial}"
        interrupted += 1
    assert interrupted >= 2  # most kills land mid-build (start-up, embedding, writing)
    code, _, err = cli(["index", "add", str(WATER)], data_dir)
    assert code == 0, err
    code, out, _ = cli(["docs", "--json"], data_dir)
    assert {d["id"] for d in json.loads(out)} == {"kp-oped-2025-09-09", "water-oped"}
    assert len(list((data_dir / "builds").iterdir())) <= 2  # the killed builds' leftovers swept


def _truncate_sqlite(b: Path) -> None:
    f = b / "chroma" / "chroma.sqlite3"
    os.truncate(f, f.stat().st_size // 2)


def _junk_sqlite(b: Path) -> None:
    (b / "chroma" / "chroma.sqlite3").write_bytes(os.urandom(8192))


def _delete_sqlite(b: Path) -> None:
    (b / "chroma" / "chroma.sqlite3").unlink()


def _delete_chroma(b: Path) -> None:
    shutil.rmtree(b / "chroma")


def _empty_manifest(b: Path) -> None:
    (b / "manifest.json").write_text("")


def _junk_docmap(b: Path) -> None:
    (b / "docmap.json").write_bytes(b"\x00\xff junk")


def _missing_documents(b: Path) -> None:
    (b / "documents.json").unlink()


@pytest.mark.parametrize(
    "damage", [_truncate_sqlite, _junk_sqlite, _delete_sqlite, _delete_chroma, _empty_manifest, _junk_docmap, _missing_documents]
)
def test_a_damaged_build_is_reported_and_index_force_recovers(damage, tmp_path, session_data_dir, cli):
    data_dir = _copy(session_data_dir, tmp_path / "data")
    before = _answers(cli, data_dir)
    damage(_build_dir(data_dir))
    code, out, err = cli(["ask", QUESTIONS[0]], data_dir)
    assert code == 2 and "opedbot index --force" in err and "Traceback" not in err + out, err
    code, _, err = cli(["index", "--force"], data_dir)
    assert code == 0, err
    assert _answers(cli, data_dir) == before


def test_a_damaged_build_makes_readyz_say_why(tmp_path, session_data_dir, embedder):
    from fastapi.testclient import TestClient

    from bot.config import load_settings
    from bot.service import Bot
    from ui.server import create_app

    data_dir = _copy(session_data_dir, tmp_path / "data")
    _junk_sqlite(_build_dir(data_dir))
    settings = load_settings(data_dir=data_dir)
    bot = Bot(settings, embedder=embedder, store=IndexStore(data_dir, embedder, progress=None))
    app, readiness = create_app(settings, bot=bot, chat=False)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        deadline = time.monotonic() + 60
        while readiness.error is None and time.monotonic() < deadline:
            time.sleep(0.05)
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["status"] == "error" and "index --force" in r.json()["error"]
        assert c.get("/healthz").status_code == 200


def test_serving_never_writes_into_the_data_dir(tmp_path, session_data_dir, cli):
    """What makes a read-only data dir servable: loading and answering change no file."""
    data_dir = _copy(session_data_dir, tmp_path / "data")

    def snapshot() -> dict:
        return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in data_dir.rglob("*") if p.is_file()}

    before = snapshot()
    _answers(cli, data_dir)
    assert snapshot() == before


def test_a_full_disk_is_a_clear_error_and_the_served_index_is_untouched(tmp_path, session_data_dir, cli, monkeypatch):
    data_dir = _copy(session_data_dir, tmp_path / "data")
    before, current = _answers(cli, data_dir), (data_dir / "CURRENT").read_text()

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("index.vectordb.LocalChroma.write_record", full)
    code, _, err = cli(["index", "add", str(WATER)], data_dir)
    assert code == 2 and "No space left on device" in err and "served before is untouched" in err, err
    monkeypatch.undo()
    assert (data_dir / "CURRENT").read_text() == current and _answers(cli, data_dir) == before
    assert cli(["index", "add", str(WATER)], data_dir)[0] == 0  # room again: the next build works


def test_a_server_killed_under_load_restarts_with_its_index_and_feedback(tmp_path, session_data_dir):
    data_dir = _copy(session_data_dir, tmp_path / "data")
    (data_dir / "feedback.jsonl").unlink(missing_ok=True)  # votes other tests left in the shared index
    feedback = FeedbackStore(data_dir)
    for i in range(5):
        feedback.add("like", {"question": f"q{i}", "answer": "a", "quotes": []})
    env = {**cli_env(data_dir), "OPEDBOT_RATE_LIMIT": "0", "OPEDBOT_MAX_IN_FLIGHT_PER_CLIENT": "0"}

    def start() -> tuple[subprocess.Popen, str]:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urlopen(f"{base}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return proc, base
            except OSError:
                time.sleep(0.2)
        proc.kill()
        raise AssertionError("server not ready")

    def ask(base: str, q: str) -> dict:
        req = Request(f"{base}/api/ask", json.dumps({"question": q}).encode(), {"Content-Type": "application/json"})
        with urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    proc, base = start()
    before = ask(base, QUESTIONS[0])
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            try:
                ask(base, QUESTIONS[1])
            except OSError:
                pass

    threads = [threading.Thread(target=load, daemon=True) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    stop.set()
    for t in threads:
        t.join(15)
    proc, base = start()  # the same data dir, straight after
    try:
        assert ask(base, QUESTIONS[0])["answer"] == before["answer"]
    finally:
        proc.terminate()
        proc.wait(15)
    rows, bad = FeedbackStore(data_dir).read()
    assert len(rows) == 5 and bad == 0
