"""Scale-out on Chroma's own server: a real `chroma run` on 127.0.0.1 (the one shipped with
chromadb), the index built on it and read back, and several `opedbot serve` processes with no
local index sharing it and swapping to a new build as soon as it is served."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import Request, urlopen

import pytest

from bot.config import load_settings
from bot.service import Bot
from index.errors import OpedbotError
from index.store import IndexStore
from index.vectordb import ChromaServer
from tests.conftest import DATA, ask, cli_env, free_port

pytestmark = pytest.mark.slow
CHROMA = Path(sys.executable).parent / "chroma"
QUESTIONS = [
    "Who brokered the ceasefire talks?",
    "What does the op-ed recommend?",
    "What is NACTA?",
    "Why are procedural delays a problem?",
    "Who won the 2023 Cricket World Cup?",
]


def _wait(url: str, seconds: float = 60, ok=lambda body: True) -> dict:
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            with urlopen(url, timeout=2) as r:
                last = json.loads(r.read() or b"{}")
                if ok(last):
                    return last
        except (OSError, ValueError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} not ready in {seconds}s (last: {last})")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{url}/api/v2/heartbeat", 30)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def test_an_index_built_on_the_server_is_the_index_built_on_disk(tmp_path, embedder, session_data_dir, chroma_url):
    place = ChromaServer(chroma_url)
    remote = IndexStore(tmp_path / "a", embedder, progress=None, place=place)
    first = remote.build()
    assert first.changed and place.current_id() == first.build_id
    assert not (tmp_path / "a" / "builds").exists()  # nothing of the build on local disk
    assert not remote.build().changed  # same content: nothing to do, as on disk

    local = IndexStore(session_data_dir, embedder, progress=None).load()
    served = remote.load()
    assert [c.text for c in served.chunks] == [c.text for c in local.chunks]
    assert [(s.start, s.end) for s in served.sentences] == [(s.start, s.end) for s in local.sentences]
    assert served.maps == local.maps and list(served.documents) == list(local.documents)

    on_server = Bot(load_settings(data_dir=tmp_path / "a", chroma_url=chroma_url), embedder=embedder)
    on_disk = Bot(load_settings(data_dir=session_data_dir), embedder=embedder, store=IndexStore(session_data_dir, embedder, progress=None))
    for q in QUESTIONS:
        a, b = ask(on_server, q), ask(on_disk, q)
        assert (a.answer, a.quotes, a.answered) == (b.answer, b.quotes, b.answered), q


def test_add_and_remove_on_the_server_reuse_vectors_and_sweep_old_builds(tmp_path, embedder, chroma_url):
    from index.documents import load_document

    place = ChromaServer(chroma_url)
    store = IndexStore(tmp_path, embedder, progress=None, place=place)
    base = store.build()
    added = store.add([load_document(DATA / "other-opeds" / "water-oped.txt")])
    assert added.changed and added.embedded < added.chunks + added.sentences  # the op-ed's vectors reused
    assert set(store.load().documents) == {"kp-oped-2025-09-09", "water-oped"}
    removed = store.remove(["water-oped"])
    assert set(store.load().documents) == {"kp-oped-2025-09-09"}
    # the build before the served one is kept for readers still on it; older ones are swept
    assert removed.build_id in place.builds() and added.build_id in place.builds()
    assert base.build_id not in place.builds() or base.build_id == removed.build_id


def test_an_unreachable_server_is_a_clear_error(tmp_path, cli, monkeypatch):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(OpedbotError, match="Chroma server"):
        ChromaServer(url).current_id()
    monkeypatch.setenv("OPEDBOT_CHROMA_URL", url)
    code, out, err = cli(["docs"], tmp_path)
    assert code == 2 and "Chroma server" in err and "Traceback" not in err


def test_serve_processes_share_the_server_and_swap_to_a_new_build(tmp_path, chroma_url):
    env = {**cli_env(tmp_path / "indexer"), "OPEDBOT_CHROMA_URL": chroma_url, "OPEDBOT_RELOAD_SECONDS": "0.5"}
    built = subprocess.run([sys.executable, "-m", "bot.cli", "index"], env=env, capture_output=True, text=True, timeout=180)
    assert built.returncode == 0, built.stderr
    procs, urls = [], []
    try:
        for name in ("web-1", "web-2"):  # each with an empty data dir of its own
            port = free_port()
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
                    env={**env, "OPEDBOT_DATA_DIR": str(tmp_path / name)},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        first = [_wait(f"{u}/readyz", 120, ok=lambda b: b.get("status") == "ready")["index"] for u in urls]
        assert first[0] == first[1] == ChromaServer(chroma_url).current_id()
        assert not (tmp_path / "web-1" / "CURRENT").exists()

        def asked(u: str, q: str) -> dict:
            req = Request(f"{u}/api/ask", json.dumps({"question": q}).encode(), {"Content-Type": "application/json"})
            with urlopen(req, timeout=30) as r:
                return json.loads(r.read())

        answers = [asked(u, "Who brokered the ceasefire talks?") for u in urls]
        assert answers[0]["answer"] == answers[1]["answer"] and "Afghan Taliban" in answers[0]["answer"]

        added = subprocess.run(
            [sys.executable, "-m", "bot.cli", "index", "add", str(DATA / "other-opeds" / "water-oped.txt")],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert added.returncode == 0, added.stderr
        new = ChromaServer(chroma_url).current_id()
        assert new != first[0]
        for u in urls:  # both swap without a restart
            assert _wait(f"{u}/readyz", 60, ok=lambda b: b.get("index") == new)["documents"] == 2
            a = asked(u, "What has the state government proposed?")
            assert a["answered"] and any(q["doc"] == "water-oped" for q in a["quotes"])
    finally:
        for p in procs:
            p.terminate()
            p.wait(15)
