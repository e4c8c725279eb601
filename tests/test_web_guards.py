"""What every response carries and what every request must pass, on the real app (REST and the
Gradio chat mounted) and on a real server on 127.0.0.1 for the Host check."""

from __future__ import annotations

import http.client

import pytest
from fastapi.testclient import TestClient

from bot.config import load_settings
from tests.conftest import serving
from ui.guards import API_CSP, PAGE_CSP
from ui.server import create_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app(bot, session_data_dir):
    app, readiness = create_app(load_settings(data_dir=session_data_dir, allowed_hosts="opedbot.example"), bot=bot)
    assert readiness.ready.wait(60)
    return app


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


@pytest.mark.parametrize(
    "method,path,kind",
    [
        ("GET", "/", "page"),
        ("GET", "/docs", "page"),
        ("GET", "/healthz", "api"),
        ("GET", "/openapi.json", "api"),
        ("GET", "/api/documents", "api"),
        ("POST", "/api/ask", "api"),
        ("GET", "/api/ask", "api"),
        ("GET", "/api/nothing-here", "api"),
    ],
)
def test_every_response_carries_security_headers(client, method, path, kind):
    r = client.request(method, path, json={"question": "What is NACTA?"} if method == "POST" else None)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["content-security-policy"] == (PAGE_CSP if kind == "page" else API_CSP)
    assert r.headers.get("content-security-policy").count("frame-ancestors") == 1


def test_wrong_methods_and_unknown_api_paths_are_json(client):
    r = client.get("/api/ask")
    assert r.status_code == 405 and r.headers["allow"] == "POST" and "POST" in r.json()["error"]
    r = client.put("/api/ask/stream", json={})
    assert r.status_code == 405 and "error" in r.json()
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and "error" in r.json()


def test_a_chunked_body_over_the_limit_is_413(client):
    def chunks():
        for _ in range(40):
            yield b"x" * 8192  # 320 KiB, no Content-Length

    r = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "bytes" in r.json()["error"]


def test_docs_work_offline(client):
    r = client.get("/docs")
    assert r.status_code == 200 and "/api/ask" in r.text and "/openapi.json" in r.text
    assert "<script" not in r.text and "cdn" not in r.text.lower() and "https://" not in r.text
    assert client.get("/redoc").status_code != 200 or "redoc" not in client.get("/redoc").text.lower()


def _status(port: int, path: str, host: str, method: str = "GET") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        method,
        path,
        body=b'{"question": "What is NACTA?"}' if method == "POST" else None,
        headers={"Host": host, "Content-Type": "application/json"},
    )
    status = conn.getresponse().status
    conn.close()
    return status


def test_other_host_names_are_refused_dns_rebinding(app):
    with serving(app) as port:
        for path, method in (("/", "GET"), ("/docs", "GET"), ("/healthz", "GET"), ("/api/ask", "POST"), ("/gradio_api/info", "GET")):
            assert _status(port, path, "evil.example", method) == 400, path
            assert _status(port, path, f"evil.example:{port}", method) == 400, path
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "opedbot.example"):  # the last from OPEDBOT_ALLOWED_HOSTS
            assert _status(port, "/healthz", host) == 200, host
        assert _status(port, "/api/ask", f"localhost:{port}", "POST") == 200


def test_past_the_in_flight_limit_questions_get_503_with_retry_after(bot, session_data_dir, monkeypatch):
    import json
    import time
    import urllib.error
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    app, readiness = create_app(load_settings(data_dir=session_data_dir, max_in_flight=2), bot=bot, chat=False)
    assert readiness.ready.wait(60)
    real_ask = bot.ask

    def slow_ask(request):
        time.sleep(0.5)
        return real_ask(request)

    monkeypatch.setattr(bot, "ask", slow_ask)

    def post(port):
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/ask",
            data=json.dumps({"question": "What is NACTA?"}).encode(),
            headers={"content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, None
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Retry-After")

    with serving(app) as port:
        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(lambda _: post(port), range(6)))
        assert sorted(s for s, _ in results).count(200) >= 2
        busy = [(s, ra) for s, ra in results if s != 200]
        assert busy and all(s == 503 and ra == "1" for s, ra in busy), results
        assert post(port) == (200, None)  # the next question is answered
