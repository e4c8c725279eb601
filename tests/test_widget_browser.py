"""The widget as a visitor of a third-party site meets it: the demo host page (ui/demo/host.html,
hostile CSS and all) served by a real http.server on another port of 127.0.0.1, the bot on a real
uvicorn server with the real index and MiniLM, and Debian's headless Chromium.

The launcher lives in a closed shadow root, so the test does what a person does: clicks where the
button is, and reads the accessibility tree (CDP) for its name and state. Screenshots go to
artifacts/.
"""

from __future__ import annotations

import functools
import http.server
import threading
from contextlib import ExitStack

import pytest

from bot.config import load_settings
from tests.conftest import ROOT, free_port, needs_chromium, serving
from ui.server import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]
ARTIFACTS = ROOT / "artifacts"
DEMO = ROOT / "ui" / "demo" / "host.html"
DONE = "n => document.querySelectorAll('#log .msg.bot[data-state=done]').length >= n"
XSS = ["<img src=x onerror=window.__pwned=1>", "<script>window.__pwned=2</script> Who brokered the ceasefire talks?"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def sites(bot, session_data_dir, tmp_path_factory):
    """Two host origins (one listed, one not) and three bots: A lists the first origin, B also
    allows only 2 questions a minute, C lists nothing. Pages: /a.html, /b.html, /c.html (the demo
    page pointing at each), /left.html (A, bottom-left, open on load, another colour)."""
    listed, unlisted = free_port(), free_port()
    host = f"http://127.0.0.1:{listed}"
    root = tmp_path_factory.mktemp("host")
    with ExitStack() as stack:
        bots = {}
        for name, kw in (("a", {"allowed_origins": host}), ("b", {"allowed_origins": host, "rate_limit": 2}), ("c", {})):
            app, readiness = create_app(load_settings(data_dir=session_data_dir, **kw), bot=bot, chat=name != "c")
            assert readiness.ready.wait(60)
            bots[name] = f"http://127.0.0.1:{stack.enter_context(serving(app))}"
            (root / f"{name}.html").write_text(DEMO.read_text("utf-8").replace("http://127.0.0.1:7860", bots[name]), "utf-8")
        left = DEMO.read_text("utf-8").replace("http://127.0.0.1:7860", bots["a"])
        left = left.replace('data-position="bottom-right"', 'data-position="bottom-left"').replace('data-open="false"', 'data-open="true"')
        (root / "left.html").write_text(left.replace('data-color="#0b6e4f"', 'data-color="#8a2be2"'), "utf-8")
        for port in (listed, unlisted):
            srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(_Quiet, directory=str(root)))
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            stack.callback(srv.server_close)
            stack.callback(srv.shutdown)
        yield {"host": host, "other": f"http://127.0.0.1:{unlisted}", **bots}


@pytest.fixture
def requests_seen():
    """Every URL the test's pages asked for; none may leave 127.0.0.1."""
    seen: list[str] = []
    yield seen
    assert seen, "no request recorded"
    outside = [u for u in seen if not u.startswith(("http://127.0.0.1:", "data:", "blob:", "about:", "chrome-error:"))]
    assert outside == [], outside


def new_page(browser, requests_seen, width=1280, height=800, **kw):
    context = browser.new_context(viewport={"width": width, "height": height}, **kw)
    context.on("request", lambda r: requests_seen.append(r.url))
    return context.new_page()


def launcher(page, expanded: bool) -> dict:
    """The launcher button as the accessibility tree has it (name, expanded), via CDP: what a
    screen reader gets, and the only way into a closed shadow root. The tree updates lazily:
    polled for up to 5 s until ``expanded`` is as expected."""
    cdp = page.context.new_cdp_session(page)
    seen = None
    for _ in range(50):
        for n in cdp.send("Accessibility.getFullAXTree")["nodes"]:
            name = (n.get("name") or {}).get("value", "")
            if (n.get("role") or {}).get("value") == "button" and name.endswith("chat: Ask the op-ed"):
                props = {p["name"]: p["value"].get("value") for p in n.get("properties", [])}
                seen = {"name": name, "expanded": props.get("expanded")}
        if seen and seen["expanded"] is expanded:
            break
        page.wait_for_timeout(100)
    cdp.detach()
    assert seen, "no launcher button in the accessibility tree"
    return seen


def click_launcher(page, left=False):
    w, h = page.viewport_size["width"], page.viewport_size["height"]
    x, y = (48, h - 48) if left else (w - 48, h - 48)
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).tagName", [x, y]) == "OPEDBOT-WIDGET"
    page.mouse.click(x, y)


def widget_frame(page, bot: str):
    page.wait_for_function("() => true")  # let the frame attach
    for _ in range(100):
        for f in page.frames:
            if f.url.startswith(f"{bot}/embed"):
                return f
        page.wait_for_timeout(50)
    raise AssertionError(f"no widget frame: {[f.url for f in page.frames]}")


def ask(frame, question: str, n: int):
    frame.fill("#q", question)
    frame.press("#q", "Enter")
    frame.wait_for_function(DONE, arg=n, timeout=30_000)
    return frame.locator("#log .msg.bot[data-state=done]").nth(n - 1)


def test_ask_quote_passage_follow_up_reload_and_new_conversation(sites, browser, requests_seen):
    ARTIFACTS.mkdir(exist_ok=True)
    page = new_page(browser, requests_seen)
    page.goto(f"{sites['host']}/a.html", wait_until="load")
    page.wait_for_function("() => !!document.querySelector('opedbot-widget')")
    assert launcher(page, False) == {"name": "Open chat: Ask the op-ed", "expanded": False}
    # the host's own button is still its hostile red: the widget restyles nothing on the page
    assert page.evaluate("getComputedStyle(document.querySelector('main button')).backgroundColor") == "rgb(255, 0, 0)"

    click_launcher(page)
    frame = widget_frame(page, sites["a"])
    frame.wait_for_selector(".suggest button")
    assert launcher(page, True) == {"name": "Close chat: Ask the op-ed", "expanded": True}
    frame.wait_for_function("() => document.activeElement && document.activeElement.id === 'q'")  # focus moved into the panel
    box = frame.frame_element().bounding_box()
    assert box["width"] == 380 and box["height"] == 580, box  # the host's `iframe {80×60 !important}` did not reach it
    assert frame.get_attribute("#log", "aria-live") == "polite"

    answer = ask(frame, "Who brokered the ceasefire talks?", 1)
    quote = answer.locator(".quote").first
    assert "Afghan Taliban" in quote.inner_text() and "¶2" in quote.locator(".ref").inner_text()
    page.screenshot(path=str(ARTIFACTS / "widget-desktop.png"))

    quote.click()  # the passage, from GET /api/documents/{id} and the quote's offsets
    frame.wait_for_selector("#passage:not([hidden]) mark")
    assert not frame.locator("#log").is_visible()  # the passage takes the conversation's place
    assert frame.inner_text("#passage mark").startswith("Since 2021, ceasefire talks, many brokered with the help of the Afghan Taliban")
    assert frame.inner_text("#passage-title").startswith("¶2") and "own words" in frame.inner_text("#passage-check")
    page.screenshot(path=str(ARTIFACTS / "widget-passage.png"))
    frame.press("#passage-title", "Escape")  # Escape leaves the passage first, focus back on the quote
    frame.wait_for_selector("#passage", state="hidden")
    assert frame.evaluate("document.activeElement.classList.contains('quote')")

    follow = ask(frame, "Who brokered them?", 2)
    assert "Afghan Taliban" in follow.inner_text()
    ask(frame, "What does the op-ed recommend?", 3)  # four long quotes: taller than the panel
    # the question and the start of its answer are in view, not the end of the answer
    assert frame.evaluate(
        "() => { const m = document.querySelector('main'), q = [...document.querySelectorAll('#log .msg.user')].pop();"
        " const a = m.getBoundingClientRect(), b = q.getBoundingClientRect(); return m.scrollHeight > m.clientHeight && b.top >= a.top - 1 && b.bottom <= a.bottom; }"
    )

    page.reload(wait_until="load")  # same tab: the panel reopens with the conversation
    frame = widget_frame(page, sites["a"])
    frame.wait_for_function(DONE, arg=3, timeout=10_000)
    assert frame.locator("#log .msg.user").all_inner_texts() == [
        "Who brokered the ceasefire talks?",
        "Who brokered them?",
        "What does the op-ed recommend?",
    ]

    frame.click("#new")
    assert frame.locator("#log .msg.user").count() == 0 and frame.locator(".suggest button").count() == 4
    frame.locator(".suggest button").first.click()  # a suggestion asks its question
    frame.wait_for_function(DONE, arg=1, timeout=30_000)
    assert "Afghan Taliban" in frame.inner_text("#log .msg.bot[data-state=done]")

    frame.press("#q", "Escape")  # closes the panel; focus returns to the launcher
    page.wait_for_function("() => document.activeElement && document.activeElement.tagName === 'OPEDBOT-WIDGET'")
    assert launcher(page, False) == {"name": "Open chat: Ask the op-ed", "expanded": False}
    assert not frame.frame_element().is_visible()
    page.keyboard.press("Enter")  # the keyboard opens it again
    frame.wait_for_function("() => document.activeElement && document.activeElement.id === 'q'")
    page.context.close()


def test_xss_payloads_stay_inert_in_widget_and_chat(sites, browser, requests_seen):
    page = new_page(browser, requests_seen)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{sites['host']}/a.html", wait_until="load")
    click_launcher(page)
    frame = widget_frame(page, sites["a"])
    frame.wait_for_selector(".suggest button")
    for n, payload in enumerate(XSS, start=1):
        ask(frame, payload, n)
        assert frame.locator("#log .msg.user").nth(n - 1).inner_text() == payload
    page.wait_for_timeout(300)
    assert frame.evaluate("window.__pwned") is None and page.evaluate("window.__pwned") is None and dialogs == []
    assert frame.locator("#log img, #log script").count() == 0

    chat = page.context.new_page()
    chat.goto(sites["a"], wait_until="load")
    chat.wait_for_selector("#opedbot-source p[data-start]", timeout=30_000)
    for n, payload in enumerate(XSS, start=1):
        chat.fill("#opedbot-question textarea", payload)
        chat.press("#opedbot-question textarea", "Enter")
        chat.wait_for_function("n => document.querySelectorAll('#opedbot-chat [data-testid=bot]').length >= n", arg=n, timeout=30_000)
        chat.wait_for_timeout(800)  # the stream's last steps: a question typed before them is cleared by them
    assert chat.evaluate("window.__pwned") is None and dialogs == []
    assert chat.locator("#opedbot-chat img[src='x']").count() == 0
    page.context.close()


def test_unlisted_origin_and_empty_list_are_refused(sites, browser, requests_seen):
    for url, bot in ((f"{sites['other']}/a.html", sites["a"]), (f"{sites['host']}/c.html", sites["c"])):
        page = new_page(browser, requests_seen)
        csp: list[str] = []
        page.on(
            "response", lambda r, bot=bot, csp=csp: r.url.startswith(f"{bot}/embed?") and csp.append(r.headers["content-security-policy"])
        )
        page.goto(url, wait_until="load")
        click_launcher(page)
        page.wait_for_timeout(1500)
        children = [f for f in page.frames if f is not page.main_frame]
        assert children and all(not f.url.startswith(f"{bot}/embed") for f in children), [f.url for f in children]
        assert all(f.evaluate("!!document.getElementById('q')") is False for f in children)
        expected = "frame-ancestors 'self'" + ("" if bot == sites["c"] else f" {sites['host']}")
        assert csp and csp[0].endswith(expected), csp
        page.context.close()


def test_rate_limit_shows_a_friendly_message(sites, browser, requests_seen):
    import httpx

    r = [httpx.post(f"{sites['b']}/api/ask", json={"question": "What is NACTA?"}) for _ in range(3)]
    assert [x.status_code for x in r] == [200, 200, 429]
    assert int(r[2].headers["retry-after"]) >= 1 and "error" in r[2].json()
    page = new_page(browser, requests_seen)
    page.goto(f"{sites['host']}/b.html", wait_until="load")
    click_launcher(page)
    frame = widget_frame(page, sites["b"])
    frame.wait_for_selector(".suggest button")
    notice = ask(frame, "Who brokered the ceasefire talks?", 1)
    assert "notice" in notice.get_attribute("class") and "Please wait" in notice.inner_text() and "second" in notice.inner_text()
    page.screenshot(path=str(ARTIFACTS / "widget-rate-limit.png"))
    chat = page.context.new_page()  # the Gradio chat counts against the same budget and says so
    chat.goto(sites["b"], wait_until="load")
    chat.wait_for_selector("#opedbot-source p[data-start]", timeout=30_000)
    chat.fill("#opedbot-question textarea", "What is NACTA?")
    chat.press("#opedbot-question textarea", "Enter")
    chat.wait_for_function("() => document.querySelectorAll('#opedbot-chat [data-testid=bot]').length >= 1", timeout=30_000)
    text = chat.locator("#opedbot-chat [data-testid=bot]").last.inner_text()
    assert "Slow down" in text and "Please wait" in text, text
    page.context.close()


def test_phone_width_full_screen_and_screenshots(sites, browser, requests_seen):
    page = new_page(browser, requests_seen, width=390, height=844, is_mobile=True, has_touch=True)
    page.goto(f"{sites['host']}/a.html", wait_until="load")
    page.screenshot(path=str(ARTIFACTS / "widget-phone-closed.png"))
    click_launcher(page)
    frame = widget_frame(page, sites["a"])
    frame.wait_for_selector(".suggest button")
    box = frame.frame_element().bounding_box()
    assert box == {"x": 0, "y": 0, "width": 390, "height": 844}, box
    ask(frame, "What is NACTA?", 1)
    assert "National Counter Terrorism Authority" in frame.inner_text("#log .msg.bot[data-state=done]")
    assert frame.evaluate("document.documentElement.scrollWidth") <= 390
    assert frame.locator("#close").is_visible()
    page.screenshot(path=str(ARTIFACTS / "widget-phone.png"))
    frame.click("#close")
    page.wait_for_function("() => document.activeElement && document.activeElement.tagName === 'OPEDBOT-WIDGET'")
    page.context.close()


def test_options_position_open_and_colour(sites, browser, requests_seen):
    page = new_page(browser, requests_seen)
    page.goto(f"{sites['host']}/left.html", wait_until="load")
    frame = widget_frame(page, sites["a"])  # data-open="true": open without a click
    frame.wait_for_selector(".suggest button")
    assert launcher(page, True)["expanded"] is True
    box = frame.frame_element().bounding_box()
    assert box["x"] == 20 and box["width"] == 380, box
    assert frame.evaluate("getComputedStyle(document.querySelector('.bar')).backgroundColor") == "rgb(138, 43, 226)"
    assert frame.evaluate("document.documentElement.lang") == "en" and frame.inner_text("#title") == "Ask the op-ed"
    click_launcher(page, left=True)  # the launcher, bottom-left, closes it
    assert launcher(page, False)["expanded"] is False and not frame.frame_element().is_visible()
    page.context.close()
