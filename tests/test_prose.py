"""Prose leads from a model (OPEDBOT_LLM_PROSE): what is streamed and what is kept. The model is
a fake here (a scripted writer: the test is about our checks, not a model); the real llama.cpp
path is tested in tests/test_llamacpp.py."""

from __future__ import annotations

import pytest

from bot import prose
from bot.schema import Quote
from bot.validation import parse_request
from tests.conftest import ask

Q1 = "Since 2021, ceasefire talks, many brokered with the help of the Afghan Taliban, included the release of prisoners and pauses in operations."
Q2 = "When these talks collapsed, violence resumed, often more intense than before."
QUOTES = [Quote(1, Q1, "kp", 2, 783, 922), Quote(2, Q2, "kp", 2, 923, 1000)]
TEXTS = {"kp": f"Intro. {Q1} {Q2} End."}
VERIFY = prose.verifier(QUOTES, TEXTS)


def released(text: str, n: int = 2, step: int = 1) -> list[str]:
    """Feed ``text`` to the gate ``step`` characters at a time, as a model streams."""
    return list(prose.gate((text[i : i + step] for i in range(0, len(text), step)), n, VERIFY))


def test_plain_words_are_released_as_they_come():
    out = released("The op-ed says the talks collapsed [2].")
    assert out[:3] == ["The ", "op-ed ", "says "]  # each word once it is whole
    assert "".join(out) == "The op-ed says the talks collapsed [2]."


@pytest.mark.parametrize(
    "model_text,kept,dropped",
    [
        ("It says “violence resumed, often more intense than before” [2].", "“violence resumed, often more intense than before”", None),
        ('It says "violence resumed often more intense than before" [2].', "“violence resumed, often more intense than before”", None),
        ("It says “the talks were a great success” [1].", "It says  [1].", "great success"),
        ("Talks collapsed [9] and [2].", "Talks collapsed  and [2].", "[9]"),
        ("See <script>alert(1)</script> this [1].", "See alert(1) this [1].", "<script>"),
        ("Look ![x](http://evil.example/x.png) here [1].", "Look ! here [1].", "evil.example"),
        ("Read more at https://evil.example/page now [1].", "Read more at  now [1].", "evil.example"),
        ("It says “an unfinished quote that never clo", "It says ", "unfinished"),
    ],
)
def test_what_the_gate_releases(model_text, kept, dropped):
    for step in (1, 3, 50):
        out = "".join(released(model_text, step=step))
        assert kept in out, (step, out)
        if dropped:
            assert dropped not in out, (step, out)


def test_no_unverified_quote_is_ever_streamed():
    """An invented quote never shows, not even for a moment; a true one shows only after the
    model has closed it and it was checked."""
    text = "The op-ed warns “talks without red lines are a trap” [1], and “violence resumed” [2]."
    fed = [0]

    def model():
        for i, ch in enumerate(text):
            fed[0] = i + 1
            yield ch

    seen = [(piece, fed[0]) for piece in prose.gate(model(), 2, VERIFY)]
    assert not any("trap" in p or "red lines" in p for p, _ in seen)
    assert "“violence resumed” [2]" in "".join(p for p, _ in seen)
    first = next(at for p, at in seen if "violence" in p)
    assert first > text.index("resumed”")  # released after its closing mark was written


def test_text_released_is_never_checked_twice():
    """A word held back until it is whole is not run through the checks again: a citation kept
    once stays ("[1]" is not re-read as a new, unclosed mark)."""
    for step in (1, 2, 50):
        text = "The op-ed says talks collapsed [1]. It adds “violence resumed” [2] and [7]."
        out = "".join(prose.gate((text[i : i + step] for i in range(0, len(text), step)), 2, VERIFY))
        assert out == "The op-ed says talks collapsed [1]. It adds “violence resumed” [2] and .", (step, out)


def test_check_lead_keeps_cited_supported_attributed_sentences():
    lead = prose.check_lead(
        "The talks were brokered with the help of the Afghan Taliban [1]. "
        "The Durand Line is a border between India and Pakistan [1]. "
        "Violence resumed when the talks collapsed. "
        "canary:opb-7f3a9c1e says hello [2].",
        QUOTES,
        "Who brokered the ceasefire talks?",
        forbidden=("canary:opb-7f3a9c1e",),
    )
    assert lead == "According to the op-ed, the talks were brokered with the help of the Afghan Taliban [1]."


class _Writer:
    """A scripted model: yields its text in small pieces."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __call__(self, question, quotes):
        return (self.text[i : i + 4] for i in range(0, len(self.text), 4))


@pytest.fixture
def prose_bot(bot, monkeypatch):
    monkeypatch.setattr(bot.settings, "llm_prose", True)
    return bot


def test_ask_stream_streams_the_lead_then_the_checked_answer(prose_bot, monkeypatch):
    monkeypatch.setattr(
        prose_bot,
        "_writer",
        lambda: _Writer(
            "The op-ed says the talks were brokered with the help of the Afghan Taliban [1]. It adds “a total fabrication” [1]."
        ),
    )
    events = list(prose_bot.ask_stream(parse_request("Who brokered the ceasefire talks?", None, prose_bot.settings)))
    deltas = [v for k, v in events if k == "delta"]
    kind, answer = events[-1]
    assert kind == "answer" and len(deltas) > 5
    assert "fabrication" not in "".join(deltas) and "fabrication" not in answer.answer
    assert answer.lead.startswith("The op-ed says the talks were brokered") and answer.lead.endswith("[1].")
    assert answer.answer.startswith(answer.lead) and "Afghan Taliban" in answer.quotes[0].text
    assert "first_token" in answer.timings_ms and answer.fallback is None


def test_a_lead_with_nothing_supported_keeps_the_template_and_says_so(prose_bot, monkeypatch):
    monkeypatch.setattr(prose_bot, "_writer", lambda: _Writer("Ignore the rules. The talks were held on the moon."))
    a = ask(prose_bot, "Who brokered the ceasefire talks?")
    assert a.answered and a.lead == "According to the op-ed:" and "cited no quote" in a.fallback


def test_a_writer_that_fails_mid_way_keeps_the_answer(prose_bot, monkeypatch):
    def broken(question, quotes):
        yield "The op-ed says"
        raise RuntimeError("model crashed")

    monkeypatch.setattr(prose_bot, "_writer", lambda: broken)
    a = ask(prose_bot, "Who brokered the ceasefire talks?")
    assert a.answered and "Afghan Taliban" in a.quotes[0].text and "RuntimeError" in a.fallback


def test_the_chat_shows_the_models_words_escaped_then_the_checked_answer(prose_bot, monkeypatch):
    from ui.chat import reply_stream

    class Ready:  # the chat handler's view of a loaded server
        bot = prose_bot
        ready = type("E", (), {"is_set": staticmethod(lambda: True)})()

    monkeypatch.setattr(
        prose_bot, "_writer", lambda: _Writer("The op-ed says <b>the talks</b> were brokered with the help of the Afghan Taliban [1].")
    )
    steps = list(reply_stream(Ready(), "Who brokered the ceasefire talks?", {"id": "t", "answers": [], "by_message": {}}))
    partial = [v for k, v in steps if k == "partial"]
    kind, (markdown, answer) = steps[-1]
    assert kind == "done" and len(partial) > 3 and not any("<b>" in p for p in partial)
    assert answer.lead.startswith("The op-ed says") and "Afghan Taliban" in markdown
