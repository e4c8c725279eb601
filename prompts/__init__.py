"""Prompts are data files in this folder, rendered through one loader.

``render(name, **variables)`` reads ``prompts/<name>.md`` and renders it with Jinja2 in strict
mode: a missing variable is an error, never an empty string. User text is only ever passed as a
variable, never used as a template.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from jinja2 import Environment, StrictUndefined, UndefinedError

from index.errors import OpedbotError


class PromptError(OpedbotError):
    pass


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def names() -> list[str]:
    return sorted(p.name[:-3] for p in resources.files("prompts").iterdir() if p.name.endswith(".md"))


def render(name: str, **variables: object) -> str:
    try:
        source = resources.files("prompts").joinpath(f"{name}.md").read_text("utf-8")
    except FileNotFoundError:
        raise PromptError(f"no prompt named {name!r} in prompts/ (have: {', '.join(names())})") from None
    try:
        return _env().from_string(source).render(**variables)
    except UndefinedError as exc:
        raise PromptError(f"prompt {name!r}: {exc.message}") from None
