"""Answerers: what turns a retrieved turn into a ``Draft``, and the registry of backends.

An answerer is anything with a ``name`` and ``answer(turn) -> Draft | None`` (``Answerer``);
None means "not mine", and the pipeline asks the next one. The pipeline always asks the
metadata answerer first (date, author, title, source come from metadata, never from body
text), then the backend named by ``OPEDBOT_BACKEND`` / ``--backend``.

Backends are registry entries, not branches in the pipeline: each is a factory
``create(index, embedder=..., settings=...) -> Answerer`` declared as an entry point in the
``opedbot.backends`` group (pyproject.toml), so a package adds a backend without touching this
one; ``register`` does the same from code (tests, plugins loaded by hand).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Protocol

from bot.errors import ConfigError
from bot.turn import Draft, Turn

GROUP = "opedbot.backends"


class Answerer(Protocol):
    name: str

    def answer(self, turn: Turn) -> Draft | None: ...


Factory = Callable[..., Answerer]
_registered: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Add (or replace) a backend by name."""
    _registered[name] = factory


def names() -> list[str]:
    """Every backend that can be chosen: entry points plus those registered in code."""
    return sorted({ep.name for ep in entry_points(group=GROUP)} | set(_registered))


def factory(name: str) -> Factory:
    if name in _registered:
        return _registered[name]
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            return ep.load()
    raise ConfigError(f"unknown backend {name!r} (OPEDBOT_BACKEND or --backend): choose one of {', '.join(names()) or 'none installed'}")


def create(name: str, index: Any, **components: Any) -> Answerer:
    """Build the backend ``name`` over a loaded index; ``components`` (embedder, settings) are
    passed to its factory, which takes what it needs."""
    return factory(name)(index, **components)
