"""The chat as a person uses it: a real server on 127.0.0.1 and Debian's headless Chromium.

Screenshots go to artifacts/ (ignored by git). Skipped only where /usr/bin/chromium is absent;
.ci/run installs it so these run in CI.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from urllib.request import urlopen

import pytest

from tests.conftest import ROOT, cli_env, free_port, needs_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]
ARTIFACTS = ROOT / "artifacts"


@pytest.fixture(scope="module")
def server(session_data_dir):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
        env=cli_env(session_data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if urlopen(f"{url}/readyz", timeout=1).status == 200:
                # the chat page is mounted right after readiness
                if urlopen(url, timeout=2).status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("server did not become ready: " + proc.stdout.read().decode()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def ask(page, question: str, n_answers: int):
    box = page.locator("#opedbot-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#opedbot-chat .message-row.bot-row, #opedbot-chat [data-testid=bot]').length >= n",
        arg=n_answers,
        timeout=30_000,
    )
    page.wait_for_timeout(600)  # the stream's last step and the source panel update
    settled(page)


def settled(page, timeout_ms: int = 30_000) -> None:
    """Wait until the last answer has finished streaming (its text unchanged over 0.5 s): Gradio
    ignores an example click while the previous answer's event still runs, and a loaded machine
    can stream a long answer for longer than a fixed pause."""
    last, waited = None, 0
    while waited < timeout_ms:
        text = last_answer(page)
        if text == last:
            return
        last = text
        page.wait_for_timeout(500)
        waited += 500


def last_answer(page) -> str:
    bots = page.locator("#opedbot-chat [data-testid=bot]")
    return bots.nth(bots.count() - 1).inner_text()


def test_chat_answer_quote_click_follow_up_and_xss(server, browser, session_data_dir):
    data_dir = session_data_dir
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server, wait_until="load")
    page.wait_for_selector("#opedbot-source p[data-start]", timeout=30_000)
    assert "Militancy and counter-terrorism policy in Khyber Pakhtunkhwa" in page.inner_text("#opedbot-header")
    assert page.locator("#opedbot-source p[data-start]").count() == 9

    ask(page, "Who brokered the ceasefire talks?", 1)
    text = last_answer(page)
    assert "Afghan Taliban" in text and "[1]" in text and "¶2" in text
    assert page.locator("#opedbot-source mark.quote").count() >= 1

    page.locator("#opedbot-chat a[href*='#src-']").last.click()
    page.wait_for_selector("#opedbot-source mark.active")
    active = page.inner_text("#opedbot-source mark.active")
    assert active.startswith("Since 2021, ceasefire talks, many brokered with the help of the Afghan Taliban")
    page.screenshot(path=str(ARTIFACTS / "chat-answer.png"), full_page=True)

    # like the answer: stored with its question and quotes, readable by `opedbot feedback`
    page.locator("#opedbot-chat button[aria-label='Like'], #opedbot-chat button[title='Like']").first.click()
    deadline = time.time() + 10
    while time.time() < deadline and not (data_dir / "feedback.jsonl").exists():
        time.sleep(0.2)
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "feedback", "export"], capture_output=True, text=True, env=cli_env(data_dir), timeout=120
    )
    row = json.loads(out.stdout.splitlines()[-1])
    assert row["vote"] == "like" and row["question"] == "Who brokered the ceasefire talks?" and "Afghan Taliban" in row["quotes"][0]["text"]

    ask(page, "Who brokered them?", 2)
    assert "Afghan Taliban" in last_answer(page)
    # the vote stays on its answer when the next one arrives
    votes = page.locator("#opedbot-chat button[aria-label='Liked'], #opedbot-chat button[aria-label='Like']")
    assert votes.evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))") == ["Liked", "Like"]

    ask(page, "What is the capital of France?", 3)
    assert "doesn't address this" in last_answer(page)

    payload = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script> [x](javascript:window.__xss=3) Who brokered the talks?'
    ask(page, payload, 4)
    for link in page.locator("#opedbot-chat a").all():
        assert not (link.get_attribute("href") or "").lower().startswith("javascript:")
    assert page.evaluate("window.__xss") is None and dialogs == []
    assert page.locator("#opedbot-chat img[src='x']").count() == 0
    page.screenshot(path=str(ARTIFACTS / "chat-xss.png"), full_page=True)

    outside = [u for u in requests if not u.startswith(("http://127.0.0.1", "data:", "blob:"))]
    assert outside == [], outside


def test_phone_width_and_keyboard_only(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(server, wait_until="load")
    page.wait_for_selector("#opedbot-source p[data-start]", timeout=30_000)
    page.locator("#opedbot-question textarea").focus()
    page.keyboard.type("What is NACTA?")
    page.keyboard.press("Enter")
    page.wait_for_selector("#opedbot-chat [data-testid=bot]", timeout=30_000)
    page.wait_for_timeout(600)
    assert "National Counter Terrorism Authority" in last_answer(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width  # no sideways scrolling at phone width
    page.screenshot(path=str(ARTIFACTS / "chat-phone.png"), full_page=True)
    # ¶ opens the passage in a sheet over the conversation: the page does not scroll away
    link = page.locator("#opedbot-chat a[href*='#src-']").last
    link.scroll_into_view_if_needed()
    before = page.evaluate("window.scrollY")
    link.click()
    page.wait_for_selector("#opedbot-sheet mark.active", state="visible")
    assert "National Counter Terrorism Authority" in page.inner_text("#opedbot-sheet mark.active")
    assert page.evaluate("window.scrollY") == before
    assert page.locator("#opedbot-chat a[href*='#src-']").last.is_visible()
    page.screenshot(path=str(ARTIFACTS / "chat-phone-sheet.png"))
    page.keyboard.press("Escape")
    page.wait_for_selector("#opedbot-sheet", state="hidden")


def test_example_questions_answer_in_any_conversation_state(server, browser):
    """Each example button's question, asked after an unrelated conversation, gets its answer
    (not a refusal): the examples must not depend on being asked first."""
    expected = {
        "Who brokered the ceasefire talks?": "Afghan Taliban",
        "What steps does the op-ed recommend for KP's leadership?": "binary choices",
        "Why are procedural delays a problem?": "procedural delays matter",
        "When was the op-ed published?": "2025-09-09",
    }
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server, wait_until="load")
    page.wait_for_selector("#opedbot-source p[data-start]", timeout=30_000)
    ask(page, "What is NACTA?", 1)
    for n, (question, needle) in enumerate(expected.items(), start=2):
        page.get_by_text(question, exact=True).first.click()  # the example asks its question
        page.wait_for_function("n => document.querySelectorAll('#opedbot-chat [data-testid=bot]').length >= n", arg=n, timeout=30_000)
        page.wait_for_timeout(600)
        settled(page)
        text = last_answer(page)
        assert "Not in the op-ed" not in text and needle in text, (question, text)
    page.screenshot(path=str(ARTIFACTS / "chat-examples.png"), full_page=True)


def test_example_buttons_ask_trash_forgets_and_no_gradio_footer(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(server, wait_until="load")
    page.wait_for_selector("#opedbot-source p[data-start]", timeout=30_000)
    assert page.locator("footer a:has-text('Built with Gradio'), a:has-text('Use via API')").count() == 0
    for sel in ("#opedbot-reset", "#opedbot-send"):  # visible without scrolling at 1280×800
        box = page.locator(sel).bounding_box()
        assert box and box["y"] + box["height"] <= 800, sel
    # one click on an example asks it: no Enter needed
    page.get_by_text("Who brokered the ceasefire talks?", exact=True).first.click()
    page.wait_for_function("() => document.querySelectorAll('#opedbot-chat [data-testid=bot]').length >= 1", timeout=30_000)
    page.wait_for_timeout(600)
    assert "Afghan Taliban" in last_answer(page)
    # the source panel scrolled to the answer's first quote
    visible = page.evaluate(
        "() => { const r = document.getElementById('opedbot-source'), m = r.querySelector('mark.quote');"
        " const a = r.getBoundingClientRect(), b = m.getBoundingClientRect(); return b.top >= a.top && b.top < a.bottom; }"
    )
    assert visible
    # the chat's own trash icon forgets the conversation: a follow-up then has nothing to follow
    page.locator("#opedbot-chat button[aria-label='Clear'], #opedbot-chat button[title='Clear']").first.click()
    page.wait_for_timeout(500)
    ask(page, "What came of them?", 1)  # with the talks before it: "When these talks collapsed, …"
    assert "talks collapsed" not in last_answer(page)
