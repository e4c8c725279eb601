"""The ``eval`` and ``bench`` commands, plugged into the CLI as entry points of the
``opedbot.commands`` group: the CLI and the core never import the evaluation code."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bot.errors import InputError


def register_eval(sub) -> None:
    ev = sub.add_parser("eval", help="evaluate answers against a test set")
    ev.add_argument("file", type=Path)
    ev.add_argument("--backend")
    ev.add_argument("--out", type=Path, default=Path("eval-out"), help="folder for answers.jsonl, metrics.json, report.md/html")
    ev.add_argument("--json", action="store_true", help="print metrics.json instead of the table")
    ev.add_argument("--compare", type=Path, help="an earlier run's metrics.json: show deltas")
    ev.add_argument("--fail-under", nargs="+", default=[], metavar="METRIC=VALUE", help="exit 1 when a metric misses its bar")
    ev.add_argument("--thresholds", type=Path, help="TOML file with a [fail_under] table of bars")
    ev.set_defaults(func=cmd_eval)


def register_bench(sub) -> None:
    bench = sub.add_parser("bench", help="print latency figures of the default answerer")
    bench.add_argument("--questions", type=Path, action="append", help="JSONL test set(s) to take questions from")
    bench.add_argument("--repeat", type=int, default=1, help="passes over the questions (default 1)")
    bench.add_argument("--rest", action="store_true", help="also start `opedbot serve` and time /readyz and POST /api/ask")
    bench.add_argument("--backend", help="answerer to time (OPEDBOT_BACKEND); default extractive")
    bench.add_argument("--workers", type=int, default=1, help="`opedbot serve --workers N` for the REST and load figures")
    bench.add_argument(
        "--load", action="store_true", help="with --rest: throughput at 1-100 concurrent connections on 127.0.0.1 (8 s each)"
    )
    bench.add_argument("--scale", help="also build indexes of N generated op-eds, e.g. 1,10,100,1000 (time and peak memory)")
    bench.add_argument(
        "--prose", action="store_true", help="time the model's prose leads instead (first token, first word, decode against raw llama.cpp)"
    )
    bench.add_argument("--n", type=int, default=8, help="with --prose: how many questions (default 8)")
    bench.add_argument("--out", type=Path, help="write every figure to this JSON file")
    bench.set_defaults(func=cmd_bench)


def cmd_eval(args) -> int:
    from bot.cli import settings_from
    from bot.evaluation.report import summary_rows
    from bot.evaluation.runner import evaluate, failures, load_items, load_metrics, load_thresholds, parse_bars
    from bot.service import Bot

    bars = load_thresholds(args.thresholds) if args.thresholds else {}
    bars.update(parse_bars(args.fail_under))
    previous = load_metrics(args.compare) if args.compare else None
    load_items(args.file)  # fail on a bad test set before loading models
    bot = Bot(settings_from(args, backend=args.backend))
    bot.load(build_if_missing=True)
    metrics, _, _ = evaluate(bot, args.file, args.out, progress=True)
    if args.json:
        print(json.dumps(metrics, indent=2, ensure_ascii=False))
    else:
        head = f"{'metric':28} {'value':>9}" + (f" {'delta':>9}" if previous else "")
        print(head)
        for name, value, delta in summary_rows(metrics, previous):
            print(f"{name:28} {value:>9}" + (f" {delta:>9}" if previous else ""))
        print(f"\nper category:  {'n':>3} {'pass':>6}")
        for cat, m in metrics["per_category"].items():
            print(f"  {cat:12} {m['n']:>3} {m['pass_rate']:>6.2f}")
        print(f"\nwrote {args.out}/answers.jsonl, metrics.json, report.md, report.html")
    bad = failures(metrics, bars)
    for line in bad:
        print(f"opedbot eval: FAIL {line}", file=sys.stderr)
    return 1 if bad else 0


def cmd_bench(args) -> int:
    from bot.cli import settings_from
    from bot.evaluation.bench import run_bench, run_rest_bench

    settings = settings_from(args, backend=args.backend)
    levels = []
    if args.scale:
        try:
            levels = [int(x) for x in args.scale.split(",")]
        except ValueError:
            raise InputError(f"--scale takes counts like 1,10,100, got {args.scale!r}") from None
        if not all(0 < n <= 10_000 for n in levels):
            raise InputError("--scale counts must be between 1 and 10000")
    if args.prose:
        from bot.evaluation.prose_bench import run_prose_bench

        if not 1 <= args.n <= 200:
            raise InputError("--n must be between 1 and 200")
        figures: dict = {"prose": run_prose_bench(settings, args.questions, args.n)}
    else:
        figures = {"in_process": run_bench(settings, args.questions, args.repeat)}
        if args.rest or args.load:
            figures["rest"] = run_rest_bench(settings, args.questions, load=args.load, workers=args.workers)
        if levels:
            from bot.evaluation.scale import run_scale

            figures["scale"] = run_scale(levels)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2), "utf-8")
        print(f"wrote {args.out}")
    return 0
