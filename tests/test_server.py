"""Honest readiness on a real server: ``opedbot serve`` binds before the index and model are
loaded, /healthz answers at once, and /readyz says which step it is waiting for.

The store below is the real ``IndexStore`` with a gate in front of its slow step, so the test
can look at the server while that step is running instead of racing it."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.service import Bot
from index.store import IndexStore
from tests.conftest import serving
from ui.server import create_app

pytestmark = pytest.mark.slow


class GatedStore(IndexStore):
    def __init__(self, *args, gate_on: str, **kw) -> None:
        super().__init__(*args, **kw)
        self.gate_on = gate_on
        self.gate = threading.Event()

    def load(self):
        if self.gate_on == "load":
            self.gate.wait(60)
        return super().load()

    def build(self, force: bool = False):
        if self.gate_on == "build":
            self.gate.wait(60)
        return super().build(force)


def _get(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _ask_retrying(url: str, question: str, seconds: float = 60) -> tuple[int, dict]:
    until = time.monotonic() + seconds
    while True:
        try:
            status, body = _get(url, {"question": question})
        except OSError:
            status, body = 0, {}
        if status not in (0, 503) or time.monotonic() > until:
            return status, body
        time.sleep(0.5)


@pytest.mark.parametrize("gate_on,step,data", [("load", "loading index", "existing"), ("build", "building index", "fresh")])
def test_serve_binds_first_and_readyz_reports_the_step(gate_on, step, data, session_data_dir, embedder, tmp_path):
    data_dir = session_data_dir if data == "existing" else tmp_path / "fresh"
    settings = load_settings(data_dir=data_dir)
    store = GatedStore(data_dir, embedder, progress=None, gate_on=gate_on)
    app, readiness = create_app(settings, bot=Bot(settings, embedder=embedder, store=store), chat=False)
    with serving(app) as port:
        try:
            _check_steps(f"http://127.0.0.1:{port}", store, step)
        finally:
            store.gate.set()


def _check_steps(base: str, store, step: str) -> None:
    assert _get(f"{base}/healthz") == (200, {"status": "alive"})
    # the loader reaches the gated step (through earlier ones: "loading model" before a build)
    deadline = time.monotonic() + 30
    while (got := _get(f"{base}/readyz"))[1].get("step") != step and time.monotonic() < deadline:
        assert got[0] == 503 and got[1]["status"] == "loading", got
        time.sleep(0.02)
    assert got == (503, {"status": "loading", "step": step})
    status, body = _get(f"{base}/api/ask", {"question": "Who brokered the ceasefire talks?"})
    assert status == 503 and body["step"] == step and step in body["error"]

    store.gate.set()
    deadline = time.monotonic() + 60
    while (got := _get(f"{base}/readyz"))[0] != 200 and time.monotonic() < deadline:
        assert got[1]["status"] == "loading", got  # never an error on the way
        time.sleep(0.05)
    status, body = got
    assert status == 200 and body["status"] == "ready" and body["index"] == store.current_manifest()["build_id"]
    status, body = _get(f"{base}/api/ask", {"question": "Who brokered the ceasefire talks?"})
    assert status == 200 and "Afghan Taliban" in body["quotes"][0]["text"]


def test_a_failed_load_is_reported_not_hidden(tmp_path, embedder):
    """An index that cannot be read: /healthz stays up, /readyz is 503 with the error."""
    data_dir = tmp_path / "broken"
    data_dir.mkdir()
    (data_dir / "CURRENT").write_text("no-such-build")
    settings = load_settings(data_dir=data_dir)
    app, readiness = create_app(
        settings, bot=Bot(settings, embedder=embedder, store=IndexStore(data_dir, embedder, progress=None)), chat=False
    )
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1") as c:
        deadline = time.monotonic() + 30
        while readiness.error is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert c.get("/healthz").status_code == 200
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["status"] == "error" and "no-such-build" in r.json()["error"]


def test_serve_with_workers_answers_from_every_worker(session_data_dir):
    """`opedbot serve --workers 2`: two processes on one port, each ready and answering; / is
    the compact chat (the Gradio chat keeps sessions in one process)."""
    import subprocess
    import sys
    from urllib.request import HTTPRedirectHandler, build_opener

    from tests.conftest import cli_env, free_port

    port = free_port()
    env = {**cli_env(session_data_dir), "OPEDBOT_RATE_LIMIT": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, in_a_row = time.monotonic() + 90, 0
        while in_a_row < 8 and time.monotonic() < deadline:
            try:
                in_a_row = in_a_row + 1 if _get(f"{base}/readyz")[0] == 200 else 0
            except OSError:
                in_a_row = 0
                time.sleep(0.2)
        assert in_a_row >= 8, "the workers did not all become ready"
        for _ in range(12):  # new connections land on either worker
            # 8 ready answers in a row may all have come from one worker: the other may still
            # be warming up (503 "starting", or slow on a loaded machine); a client retries
            status, body = _ask_retrying(f"{base}/api/ask", "Who brokered the ceasefire talks?")
            assert status == 200 and "Afghan Taliban" in body["quotes"][0]["text"]
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        if children.exists():
            pids = set(children.read_text().split())
            assert len(pids) >= 2, pids

        class _NoFollow(HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        with pytest.raises(urllib.error.HTTPError) as got:  # an unfollowed redirect
            build_opener(_NoFollow).open(f"{base}/", timeout=5)
        assert got.value.code in (302, 307) and got.value.headers["location"] == "/embed"
    finally:
        proc.terminate()
        proc.wait(20)
