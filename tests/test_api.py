"""REST contract against the real app (REST + Gradio mounted), real index and model."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.config import load_settings
from tests.conftest import ask
from ui.server import Readiness, add_routes

pytestmark = pytest.mark.slow
ANSWER_KEYS = ["question", "answer", "answered", "reason", "quotes", "backend", "fallback", "timings_ms", "lead", "hint"]


@pytest.fixture(scope="module")
def client(bot, session_data_dir):
    from ui.server import create_app

    app, readiness = create_app(load_settings(data_dir=session_data_dir), bot=bot)
    assert readiness.ready.wait(60), readiness.status()
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def test_ask_returns_the_cli_answer_object(client, bot):
    r = client.post("/api/ask", json={"question": "Who brokered the ceasefire talks?"})
    assert r.status_code == 200
    d = r.json()
    assert list(d) == ANSWER_KEYS
    same = ask(bot, "Who brokered the ceasefire talks?").to_dict()
    assert {k: d[k] for k in ANSWER_KEYS if k != "timings_ms"} == {k: same[k] for k in ANSWER_KEYS if k != "timings_ms"}


def test_quotes_check_against_document_endpoint(client):
    d = client.post("/api/ask", json={"question": "What steps should KP's leadership take?"}).json()
    doc = client.get(f"/api/documents/{d['quotes'][0]['doc']}").json()
    for q in d["quotes"]:
        assert doc["text"][q["start"] : q["end"]] == q["text"]
    assert [p["n"] for p in doc["paragraphs"]] == list(range(1, 10))


def test_follow_up_with_history(client):
    history = [{"role": "user", "content": "What happened with the ceasefire talks?"}, {"role": "assistant", "content": "…"}]
    d = client.post("/api/ask", json={"question": "Who brokered them?", "history": history}).json()
    assert d["answered"] and "Afghan Taliban" in d["quotes"][0]["text"]


def test_stream_sends_deltas_then_the_answer(client):
    with client.stream("POST", "/api/ask/stream", json={"question": "What is NACTA?"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        body = "".join(r.iter_text())
    events = [block for block in body.replace("\r\n", "\n").split("\n\n") if block.strip() and not block.startswith(":")]
    kinds = [next(line[7:] for line in e.splitlines() if line.startswith("event: ")) for e in events]
    assert kinds[-1] == "answer" and set(kinds[:-1]) == {"delta"} and len(kinds) > 2
    datas = [json.loads("".join(line[6:] for line in e.splitlines() if line.startswith("data: "))) for e in events]
    final = datas[-1]
    assert "".join(d["text"] for d in datas[:-1]) == final["answer"]
    assert list(final) == ANSWER_KEYS


def test_documents_list_and_missing(client):
    docs = client.get("/api/documents").json()
    assert docs == [{"id": "kp-oped-2025-09-09", "title": docs[0]["title"], "date": "2025-09-09", "paragraphs": 9}]
    r = client.get("/api/documents/nope")
    assert r.status_code == 404 and "nope" in r.json()["error"]


def test_health_ready_and_openapi(client):
    assert client.get("/healthz").json() == {"status": "alive"}
    assert client.get("/readyz").json()["status"] == "ready"
    spec = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/ask/stream", "/api/documents", "/api/documents/{doc_id}", "/healthz", "/readyz"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200 and "/api/ask" in client.get("/docs").text


@pytest.mark.parametrize(
    "body,status,needle",
    [
        ({}, 422, "question"),
        ({"question": ""}, 400, "empty"),
        ({"question": "   "}, 400, "empty"),
        ({"question": "x" * 2001}, 400, "limit"),
        ({"question": 42}, 422, "question"),
        ({"question": ["a"]}, 422, "question"),
        ({"question": "ok?", "history": "nope"}, 422, "history"),
        ({"question": "ok?", "history": [{"role": "system", "content": "x"}]}, 422, "role"),
        ({"question": "ok?", "history": [{"role": "user", "content": "x"}] * 21}, 400, "limit"),
        ({"question": "ok?", "extra": 1}, 422, "extra"),
        ({"question": "bell\u0007?"}, 400, "control"),
    ],
)
def test_bad_requests_are_4xx_json(client, body, status, needle):
    for path in ("/api/ask", "/api/ask/stream"):
        r = client.post(path, json=body)
        assert r.status_code == status, (path, r.status_code, r.text)
        assert needle in r.json()["error"].lower()


def test_malformed_and_oversized_bodies(client):
    r = client.post("/api/ask", content=b'{"question": "unterminated', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "malformed json" in r.json()["error"].lower()
    r = client.post("/api/ask", content=b"x" * 300_000, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "bytes" in r.json()["error"]
    r = client.post("/api/ask", content=b"question=hi", headers={"content-type": "application/x-www-form-urlencoded"})
    assert 400 <= r.status_code < 500
    r = client.get("/api/ask")
    assert r.status_code == 405 and "error" in r.json()  # the API answers, not Gradio (mounted at /)


def test_not_ready_is_503(bot):
    app = FastAPI()
    add_routes(app, Readiness(bot))  # never started
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert c.get("/healthz").status_code == 200
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json() == {"status": "loading", "step": "starting"}
        assert c.post("/api/ask", json={"question": "Who brokered the talks?"}).status_code == 503


def test_gradio_file_routes_do_not_leak_files(client):
    for path in (
        "/file=/etc/passwd",
        "/file=../../etc/passwd",
        "/gradio_api/file=/etc/passwd",
        "/gradio_api/file=..%2F..%2Fetc%2Fpasswd",
        "/static/../../etc/passwd",
    ):
        r = client.get(path)
        assert "root:x:0:0" not in r.text, path
        assert r.status_code != 500, path
