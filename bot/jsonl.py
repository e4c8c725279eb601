"""Reading JSONL input files (batches, test sets) with errors that name the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from bot.errors import InputError


def read_objects(path: Path, what: str) -> Iterator[tuple[int, dict]]:
    """(line number, object) for every non-blank line; InputError on anything else."""
    try:
        lines = Path(path).read_text("utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{what} {path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} {path}: not UTF-8 text") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{what} {path}:{n}: not JSON ({exc.msg})") from None
        if not isinstance(d, dict):
            raise InputError(f"{what} {path}:{n}: each line must be a JSON object")
        yield n, d
