"""``opedbot eval``: run a test set through the same chain as the chat and write the results.

Reads the test-set JSONL (format in README), asks every item with a progress bar, computes
``metrics.compute``, writes answers.jsonl, metrics.json, report.md and report.html, and checks
``--fail-under`` bars. Thresholds for CI live in tests/data/thresholds.toml.
"""

from __future__ import annotations

import json
import sys
import tomllib
from dataclasses import fields
from pathlib import Path

from bot.errors import InputError
from bot.evaluation.metrics import Item, compute
from bot.jsonl import read_objects

ITEM_FIELDS = {f.name for f in fields(Item)}
LOWER_IS_BETTER = {"false_refusal_rate", "must_not_include_violations", "latency_p50_ms", "latency_p95_ms"}


def load_items(path: Path) -> list[Item]:
    items, seen = [], set()
    for n, d in read_objects(path, "test set"):
        missing = {"id", "question", "answerable"} - set(d)
        if missing:
            raise InputError(f"test set {path}:{n}: missing {', '.join(sorted(missing))}")
        unknown = set(d) - ITEM_FIELDS
        if unknown:
            raise InputError(f"test set {path}:{n}: unknown field(s) {', '.join(sorted(unknown))}")
        if not isinstance(d["answerable"], bool):
            raise InputError(f"test set {path}:{n}: answerable must be true or false")
        for key in ("must_include", "gold_quotes", "must_not_include"):
            v = d.get(key, [])
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise InputError(f"test set {path}:{n}: {key} must be a list of strings")
        d["id"] = str(d["id"])
        if d["id"] in seen:
            raise InputError(f"test set {path}:{n}: duplicate id {d['id']!r}")
        seen.add(d["id"])
        d.setdefault("category", "uncategorised")
        d["history"] = d.get("history") or []
        items.append(Item(**d))
    if not items:
        raise InputError(f"test set {path}: no items")
    return items


def parse_bars(specs: list[str]) -> dict[str, float]:
    bars = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        try:
            bars[name.strip()] = float(value)
        except ValueError:
            raise InputError(f"--fail-under wants METRIC=VALUE, got {spec!r}") from None
        if not sep:
            raise InputError(f"--fail-under wants METRIC=VALUE, got {spec!r}")
    return bars


def load_thresholds(path: Path) -> dict[str, float]:
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except (FileNotFoundError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: {exc}") from None
    return {k: float(v) for k, v in data.get("fail_under", {}).items()}


def failures(metrics: dict, bars: dict[str, float]) -> list[str]:
    out = []
    for name, bar in bars.items():
        if name not in metrics or isinstance(metrics[name], dict):
            out.append(f"{name}: no such metric")
            continue
        value = metrics[name]
        if value is None:
            out.append(f"{name}: not measured (no items for it)")
        elif (name in LOWER_IS_BETTER and value > bar) or (name not in LOWER_IS_BETTER and value < bar):
            word = "above" if name in LOWER_IS_BETTER else "below"
            out.append(f"{name} = {value:.3f} is {word} its bar {bar}")
    return out


def run(bot, items: list[Item], progress: bool = True) -> tuple[list[dict], list[list[tuple]]]:
    """Answer every item through the bot's chain; returns answer dicts and retrieved spans."""
    from tqdm import tqdm

    from bot.validation import parse_request

    answers, retrieved = [], []
    for it in tqdm(items, desc="eval", unit="q", file=sys.stderr, disable=not progress):
        a = bot.ask(parse_request(it.question, it.history, bot.settings, id=it.id))
        answers.append(a.to_dict())
        retrieved.append([(r["doc"], r["start"], r["end"]) for r in a.retrieved])
    return answers, retrieved


def evaluate(bot, path: Path, out: Path, progress: bool = True) -> tuple[dict, list[Item], list[dict]]:
    items = load_items(path)
    bot.load()
    answers, retrieved = run(bot, items, progress)
    documents = {d.id: d.text for d in bot.index.documents.values()}

    def similarity(a: str, b: str) -> float:
        va, vb = bot.embedder.encode([a, b])
        return float(va @ vb)

    metrics = compute(items, answers, retrieved, documents, similarity)
    metrics["backend"] = bot.settings.backend
    metrics["test_set"] = str(path)
    write_outputs(out, items, answers, metrics)
    return metrics, items, answers


def write_outputs(out: Path, items: list[Item], answers: list[dict], metrics: dict) -> None:
    from bot.evaluation.report import render_html, render_markdown

    out.mkdir(parents=True, exist_ok=True)
    with open(out / "answers.jsonl", "w", encoding="utf-8") as f:
        for a in answers:
            f.write(json.dumps(a, ensure_ascii=False) + "\n")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), "utf-8")
    (out / "report.md").write_text(render_markdown(items, answers, metrics), "utf-8")
    (out / "report.html").write_text(render_html(items, answers, metrics), "utf-8")


def load_metrics(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (FileNotFoundError, json.JSONDecodeError) as exc:
        raise InputError(f"--compare {path}: {exc}") from None
