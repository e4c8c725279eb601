"""Shared fixtures: the real MiniLM (loaded once per session), a real Chroma index built once in
a session temp dir, and a per-test data dir so no test touches a user's index."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

import index  # noqa: F401  (offline switches)
from bot.config import load_settings
from bot.schema import Answer
from bot.service import Bot
from bot.validation import parse_request
from index.documents import load_document
from index.embeddings import MiniLMEmbeddings
from index.store import IndexStore

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("OPEDBOT_DATA_DIR", str(tmp_path / "opedbot-data"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("OPEDBOT_CHROMA_URL", raising=False)


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbeddings:
    e = MiniLMEmbeddings()
    e.encode(["load the model once"])
    return e


@pytest.fixture(scope="session")
def session_data_dir(tmp_path_factory, embedder) -> Path:
    d = tmp_path_factory.mktemp("index")
    IndexStore(d, embedder, progress=None).build()
    return d


@pytest.fixture(scope="session")
def bot(session_data_dir, embedder) -> Bot:
    b = Bot(load_settings(data_dir=session_data_dir), embedder=embedder, store=IndexStore(session_data_dir, embedder, progress=None))
    b.load()
    return b


def ask(bot: Bot, question, history=None, id=None) -> Answer:
    """Ask as an edge does: check the input once, then hand the Request to the bot."""
    return bot.ask(parse_request(question, history, bot.settings, id=id))


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run ``opedbot`` in process on a data dir: (exit code, stdout, stderr)."""
    from bot.cli import main

    def run(args: list[str], data_dir: Path) -> tuple[int, str, str]:
        monkeypatch.setenv("OPEDBOT_DATA_DIR", str(data_dir))
        code = main(args)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(app):
    """A real uvicorn server for ``app`` on 127.0.0.1 in a thread; yields its port."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the test server did not start"
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def cli_env(data_dir: Path) -> dict:
    env = dict(os.environ)
    env["OPEDBOT_DATA_DIR"] = str(data_dir)
    env.pop("OPEDBOT_DEBUG", None)
    return env


# Debian's Chromium for the browser tests (tests/test_browser.py, tests/test_widget_browser.py).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def other_bots(tmp_path_factory, embedder):
    """Each test op-ed alone in an index of its own."""
    bots = {}
    for name in (
        "water-oped",
        "ai-schools-oped",
        "transit-oped",
        "health-oped",
        "fisheries-oped",
        "exams-oped",
        "heat-oped",
        "farm-oped",
        "ferry-oped",
        "zoning-oped",
    ):
        data = tmp_path_factory.mktemp(name)
        store = IndexStore(data, embedder, progress=None)
        store.add([load_document(DATA / "other-opeds" / f"{name}.txt")])
        store.remove(["kp-oped-2025-09-09"])
        bots[name] = Bot(load_settings(data_dir=data), embedder=embedder, store=store)
    return bots
