"""The widget's server side without a browser: origins parsed and checked at settings load, the
embed page's CSP (fail closed), CORS only for listed origins, the per-client limits (429 with
Retry-After), and the headers and Host check on /widget.js and /embed, on the real app."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time

import pytest
from fastapi.testclient import TestClient

from bot.config import load_settings, parse_origins
from bot.errors import ConfigError
from tests.conftest import serving
from ui.origins import embed_csp
from ui.server import create_app
from ui.throttle import ClientLimits

ORIGIN = "http://127.0.0.1:8001"


# ---- settings


@pytest.mark.parametrize(
    "text,expected",
    [
        ("", []),
        (" , ", []),
        ("http://127.0.0.1:8001", ["http://127.0.0.1:8001"]),
        (
            "HTTPS://Example.ORG:443, http://example.org:80,http://[::1]:8080",
            ["https://example.org", "http://example.org", "http://[::1]:8080"],
        ),
        ("http://a.example,http://a.example", ["http://a.example"]),
    ],
)
def test_origins_are_normalised_like_a_browser_sends_them(text, expected):
    assert parse_origins(text) == expected


@pytest.mark.parametrize(
    "bad", ["*", "example.org", "http://example.org/", "http://example.org/path", "ftp://example.org", "http://a:99999", "http://a b"]
)
def test_a_bad_origin_is_a_config_error_naming_the_variable(bad):
    with pytest.raises(ConfigError, match="OPEDBOT_ALLOWED_ORIGINS"):
        load_settings(allowed_origins=bad)


def test_limits_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("OPEDBOT_ALLOWED_ORIGINS", "http://127.0.0.1:8001, https://news.example")
    monkeypatch.setenv("OPEDBOT_RATE_LIMIT", "0")
    monkeypatch.setenv("OPEDBOT_MAX_IN_FLIGHT_PER_CLIENT", "2")
    s = load_settings()
    assert s.origins == ("http://127.0.0.1:8001", "https://news.example") and s.rate_limit == 0 and s.max_in_flight_per_client == 2
    monkeypatch.setenv("OPEDBOT_RATE_LIMIT", "-1")
    with pytest.raises(ConfigError, match="OPEDBOT_RATE_LIMIT"):
        load_settings()


def test_embed_csp_is_strict_and_fails_closed():
    assert embed_csp(()).endswith("frame-ancestors 'self'")
    csp = embed_csp((ORIGIN,))
    assert csp.endswith(f"frame-ancestors 'self' {ORIGIN}")
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "script-src 'self'" in csp


def test_client_limits_count_with_a_moving_window():
    limits = ClientLimits(per_minute=2, per_client=1)
    assert limits.take("a") is None and limits.take("a") is None
    refusal = limits.take("a")
    assert refusal.status == 429 and 1 <= refusal.retry_after <= 60 and "2 a minute" in refusal.message
    assert limits.take("b") is None  # per client
    assert limits.enter("a") is None and limits.enter("a").status == 429
    limits.leave("a")
    assert limits.enter("a") is None and ClientLimits(0, 0).take("a") is None


# ---- the app


@pytest.fixture(scope="module")
def apps(bot, session_data_dir):
    made = {}

    def make(**kw):
        key = tuple(sorted(kw.items()))
        if key not in made:
            app, readiness = create_app(load_settings(data_dir=session_data_dir, **kw), bot=bot, chat=False)
            assert readiness.ready.wait(60)
            made[key] = app
        return made[key]

    return make


def test_embed_page_headers_with_and_without_origins(apps):
    for origins, ancestors in (("", "'self'"), (ORIGIN, f"'self' {ORIGIN}")):
        c = TestClient(apps(allowed_origins=origins), base_url="http://127.0.0.1")
        r = c.get("/embed")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert r.headers["content-security-policy"] == embed_csp(parse_origins(origins))
        assert r.headers["content-security-policy"].endswith(f"frame-ancestors {ancestors}")
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "no-referrer"
        assert "<script>" not in r.text and "<style" not in r.text and not re.search(r"\son\w+=", r.text)  # no inline code
        config = json.loads(r.text.split('id="opedbot-config">')[1].split("</script>")[0])
        from ui.examples import EXAMPLES

        assert config["examples"] == list(EXAMPLES)
        js = c.get("/widget.js")
        assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
        assert js.headers["x-content-type-options"] == "nosniff" and js.headers["cross-origin-resource-policy"] == "cross-origin"
        for name, kind in (("embed.js", "text/javascript"), ("embed.css", "text/css")):
            assert c.get(f"/embed/{name}").headers["content-type"].startswith(kind)
        assert c.get("/embed/../server.py").status_code == 404 and c.get("/embed/widget.py").status_code == 404


def test_cors_only_for_listed_origins(apps):
    c = TestClient(apps(allowed_origins=ORIGIN), base_url="http://127.0.0.1")
    pre = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    r = c.options("/api/ask", headers={"Origin": ORIGIN, **pre})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ORIGIN and "Origin" in r.headers["vary"]
    r = c.post("/api/ask", json={"question": "What is NACTA?"}, headers={"Origin": ORIGIN})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ORIGIN and "Origin" in r.headers["vary"]
    for origin in ("http://evil.example", "http://127.0.0.1:8002"):
        r = c.options("/api/ask", headers={"Origin": origin, **pre})
        assert r.status_code == 400 and "access-control-allow-origin" not in r.headers
        r = c.get("/api/documents", headers={"Origin": origin})
        assert "access-control-allow-origin" not in r.headers
    assert "access-control-allow-origin" not in c.get("/embed", headers={"Origin": ORIGIN}).headers  # the API only
    none = TestClient(apps(), base_url="http://127.0.0.1")  # nothing listed: no CORS at all
    assert (
        "access-control-allow-origin" not in none.post("/api/ask", json={"question": "What is NACTA?"}, headers={"Origin": ORIGIN}).headers
    )


def test_rate_limit_429_with_retry_after_and_cors(apps):
    c = TestClient(apps(rate_limit=2, allowed_origins=ORIGIN), base_url="http://127.0.0.1")
    ask = lambda path="/api/ask": c.post(path, json={"question": "What is NACTA?"}, headers={"Origin": ORIGIN})  # noqa: E731
    assert ask().status_code == 200 and ask("/api/ask/stream").status_code == 200
    for path in ("/api/ask", "/api/ask/stream"):
        r = ask(path)
        assert r.status_code == 429, r.text
        wait = int(r.headers["retry-after"])
        assert 1 <= wait <= 60 and r.json()["retry_after"] == wait and "a minute" in r.json()["error"]
        assert r.headers["access-control-allow-origin"] == ORIGIN  # a cross-origin caller can read why
    assert c.get("/api/documents").status_code == 200  # only questions count


def test_one_client_cannot_hold_every_worker(apps, bot, monkeypatch):
    app = apps(rate_limit=0, max_in_flight_per_client=1)
    release = threading.Event()
    real_ask = bot.ask
    monkeypatch.setattr(bot, "ask", lambda request: (release.wait(10), real_ask(request))[1])
    with serving(app) as port:

        def post():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", "/api/ask", body=b'{"question": "What is NACTA?"}', headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            out = (r.status, r.getheader("Retry-After"), r.read())
            conn.close()
            return out

        first: list = []
        t = threading.Thread(target=lambda: first.append(post()))
        t.start()
        time.sleep(0.5)
        status, retry, body = post()
        assert status == 429 and retry == "1" and "being answered" in json.loads(body)["error"]
        release.set()
        t.join(30)
        assert first[0][0] == 200 and post()[0] == 200


def test_host_check_on_the_widget_routes(apps):
    with serving(apps(allowed_origins=ORIGIN)) as port:
        for path in ("/widget.js", "/embed", "/embed/embed.js"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", path, headers={"Host": "evil.example"})
            assert conn.getresponse().status == 400, path
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
            assert conn.getresponse().status == 200, path
            conn.close()
