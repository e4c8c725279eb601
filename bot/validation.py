"""The one set of rules for what users send, shared by the CLI, the REST API and the chat.

``parse_request`` is the only way to make a ``Request``; every edge calls it once, and the
core (``Bot.ask``) trusts what it gets. Anything wrong raises InputError with a one-line message.
"""

from __future__ import annotations

import unicodedata

from bot.config import Settings
from bot.errors import InputError
from bot.turn import Request

ROLES = ("user", "assistant")


def _encodable(text: str, what: str) -> None:
    """Lone UTF-16 surrogates (JSON allows "\\ud800") are not text: no model can read them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f"{what} holds a character that is not valid Unicode text (U+{ord(text[exc.start]):04X})") from None


def clean_question(question: object, max_chars: int) -> str:
    if not isinstance(question, str):
        raise InputError("the question must be a string")
    if len(question) > max_chars:
        raise InputError(f"the question is {len(question)} characters long; the limit is {max_chars}")
    _encodable(question, "the question")
    bad = [c for c in question if unicodedata.category(c) == "Cc" and c not in "\n\t\r"]
    if bad:
        raise InputError(f"the question contains control characters (first: U+{ord(bad[0]):04X})")
    # Invisible format characters (zero-width, bidi overrides, tag characters) carry no meaning
    # for retrieval and are a known injection channel: drop them.
    question = "".join(c for c in question if unicodedata.category(c) != "Cf")
    question = " ".join(question.split())
    if not question:
        raise InputError("the question is empty")
    return question


def clean_history(history: object, max_turns: int, max_chars: int) -> tuple[dict, ...]:
    if history is None:
        return ()
    if not isinstance(history, (list, tuple)):
        raise InputError("history must be a list of {role, content} turns")
    if len(history) > max_turns:
        raise InputError(f"history has {len(history)} turns; the limit is {max_turns}")
    out, total = [], 0
    for i, turn in enumerate(history):
        if not isinstance(turn, dict) or set(turn) - {"role", "content"} or "role" not in turn or "content" not in turn:
            raise InputError(f"history turn {i} must be an object with exactly 'role' and 'content'")
        if turn["role"] not in ROLES:
            raise InputError(f"history turn {i}: role must be 'user' or 'assistant'")
        if not isinstance(turn["content"], str):
            raise InputError(f"history turn {i}: content must be a string")
        total += len(turn["content"])
        if total > max_chars:
            raise InputError(f"history is longer than {max_chars} characters")
        _encodable(turn["content"], f"history turn {i}")
        content = "".join(c for c in turn["content"] if unicodedata.category(c) not in ("Cc", "Cf") or c in "\n\t")
        out.append({"role": turn["role"], "content": content})
    return tuple(out)


def parse_request(question: object, history: object, settings: Settings, id: str | int | None = None) -> Request:
    """A checked ``Request`` from raw user input (limits from ``settings``), or InputError."""
    return Request(
        question=clean_question(question, settings.max_question_chars),
        history=clean_history(history, settings.max_history_turns, settings.max_history_chars),
        id=id,
    )
