"""Checks on what users send: questions and conversation history. Raise InputError, one line."""

from __future__ import annotations

import unicodedata

from bot.errors import InputError

ROLES = ("user", "assistant")


def clean_question(question: object, max_chars: int) -> str:
    if not isinstance(question, str):
        raise InputError("the question must be a string")
    if len(question) > max_chars:
        raise InputError(f"the question is {len(question)} characters long; the limit is {max_chars}")
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


def clean_history(history: object, max_turns: int, max_chars: int) -> list[dict]:
    if history is None:
        return []
    if not isinstance(history, list):
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
        content = "".join(c for c in turn["content"] if unicodedata.category(c) not in ("Cc", "Cf") or c in "\n\t")
        out.append({"role": turn["role"], "content": content})
    return out
