"""``opedbot``: the command line. Turns domain errors into one-line messages and exit codes.

    0  success            1  eval under its bars, or an internal error
    2  bad input, bad configuration, missing index (the message says what to do)

No traceback reaches the user unless OPEDBOT_DEBUG=1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import index  # noqa: F401  (offline switches before anything heavy)
from bot.errors import InputError, OpedbotError

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + message
        print(f"opedbot: error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="opedbot", description="Answers questions about an op-ed with its own words, as verified quotes.")
    p.add_argument("--data-dir", type=Path, help="where documents and the index live (OPEDBOT_DATA_DIR)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ask = sub.add_parser("ask", help="answer a question (or a JSONL batch of them)")
    ask.add_argument("question", nargs="?", help="the question, in quotes")
    ask.add_argument("--history", type=Path, help="JSON file: a list of {role, content} turns before this question")
    ask.add_argument("--batch", type=Path, help='JSONL file of {"id", "question", "history"?}; one answer per line on stdout')
    ask.add_argument("--json", action="store_true", help="print the answer object as JSON")
    ask.add_argument("--backend", help="answerer (OPEDBOT_BACKEND); default extractive")

    idx = sub.add_parser("index", help="build the index (does nothing when it is up to date)")
    idx.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
    idx_sub = idx.add_subparsers(dest="index_command", parser_class=_Parser)
    add = idx_sub.add_parser("add", help="add documents (.txt, .md, .html) and index them")
    add.add_argument("paths", nargs="+", type=Path)
    add.add_argument("--title", help="title for the document (one path only)")
    add.add_argument("--id", dest="doc_id", help="document id (one path only); default: from the file name")

    docs = sub.add_parser("docs", help="list the indexed documents")
    docs.add_argument("--json", action="store_true")

    bench = sub.add_parser("bench", help="print latency figures of the extractive answerer")
    bench.add_argument("--questions", type=Path, action="append", help="JSONL test set(s) to take questions from")
    bench.add_argument("--repeat", type=int, default=1, help="passes over the questions (default 1)")
    bench.add_argument("--rest", action="store_true", help="also start `opedbot serve` and time /readyz and POST /api/ask")

    srv = sub.add_parser("serve", help="serve the web chat and the REST API")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=7860)

    fb = sub.add_parser("feedback", help="list or export readers' likes and dislikes")
    fb.add_argument("action", nargs="?", choices=["list", "export"], default="list")
    fb.add_argument("--format", choices=["jsonl", "csv"], default="jsonl", help="export format")

    ev = sub.add_parser("eval", help="evaluate answers against a test set")
    ev.add_argument("file", type=Path)
    ev.add_argument("--backend")
    ev.add_argument("--out", type=Path, default=Path("eval-out"), help="folder for answers.jsonl, metrics.json, report.md/html")
    ev.add_argument("--json", action="store_true", help="print metrics.json instead of the table")
    ev.add_argument("--compare", type=Path, help="an earlier run's metrics.json: show deltas")
    ev.add_argument("--fail-under", nargs="+", default=[], metavar="METRIC=VALUE", help="exit 1 when a metric misses its bar")
    ev.add_argument("--thresholds", type=Path, help="TOML file with a [fail_under] table of bars")
    return p


def _settings(args, **extra):
    from bot.config import load_settings

    return load_settings(data_dir=args.data_dir, **extra)


def _bot(args, **extra):
    from bot.chain import Bot

    return Bot(_settings(args, **extra))


def _read_json(path: Path, what: str):
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(f"{what} {path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{what} {path}: not valid JSON ({exc})") from None


def _read_batch(path: Path, settings) -> list[dict]:
    from bot.jsonl import read_objects
    from bot.validation import clean_history, clean_question

    rows = []
    for n, d in read_objects(path, "batch file"):
        if "question" not in d or "id" not in d:
            raise InputError(f"batch file {path}:{n}: each line must be an object with 'id' and 'question'")
        if not isinstance(d["id"], (str, int)) or isinstance(d["id"], bool):
            raise InputError(f"batch file {path}:{n}: 'id' must be a string or a number")
        try:
            clean_question(d["question"], settings.max_question_chars)
            clean_history(d.get("history"), settings.max_history_turns, settings.max_history_chars)
        except InputError as exc:
            raise InputError(f"batch file {path}:{n}: {exc}") from None
        rows.append(d)
    if not rows:
        raise InputError(f"batch file {path}: no questions")
    return rows


def print_answer(a) -> None:
    print(a.answer)
    if a.quotes:
        print()
    for q in a.quotes:
        print(f"[{q.n}] paragraph {q.paragraph} of {q.doc}:")
        print(f"    {q.text}")


def cmd_ask(args) -> int:
    if (args.question is None) == (args.batch is None):
        raise InputError("give either a QUESTION or --batch FILE")
    bot = _bot(args, backend=args.backend)
    if args.batch:
        rows = _read_batch(args.batch, bot.settings)
        bot.load(build_if_missing=True)
        for d in rows:
            a = bot.ask(d["question"], d.get("history"), id=d["id"])
            sys.stdout.write(json.dumps(a.to_dict(), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        return 0
    from bot.validation import clean_history, clean_question

    history = _read_json(args.history, "history file") if args.history else None
    clean_question(args.question, bot.settings.max_question_chars)  # fail before building anything
    clean_history(history, bot.settings.max_history_turns, bot.settings.max_history_chars)
    bot.load(build_if_missing=True)
    a = bot.ask(args.question, history)
    if args.json:
        print(json.dumps(a.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_answer(a)
    return 0


def cmd_index(args) -> int:
    from bot.config import load_settings
    from index.documents import load_document
    from index.embeddings import MiniLMEmbeddings
    from index.store import IndexStore

    settings = load_settings(data_dir=args.data_dir)
    store = IndexStore(settings.data_dir, MiniLMEmbeddings(settings.embedding_model))
    if args.index_command == "add":
        if (args.title or args.doc_id) and len(args.paths) > 1:
            raise InputError("--title and --id apply to one file; add the files one at a time")
        docs = [load_document(p, doc_id=args.doc_id, title=args.title) for p in args.paths]
        r = store.add(docs)
    else:
        r = store.build(force=args.force)
    print(f"{'built' if r.changed else 'up to date'}: {r.documents} document(s), {r.chunks} chunks, {r.sentences} sentences ({r.build_id})")
    return 0


def cmd_docs(args) -> int:
    from index.embeddings import MiniLMEmbeddings
    from index.store import IndexStore

    settings = _settings(args)  # reading the index needs no model
    docs = list(IndexStore(settings.data_dir, MiniLMEmbeddings(settings.embedding_model)).load().documents.values())
    if args.json:
        print(
            json.dumps(
                [{"id": d.id, "title": d.title, "date": d.date, "paragraphs": len(d.paragraphs), "chars": len(d.text)} for d in docs],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    for d in docs:
        print(f"{d.id}\t{d.date or '-'}\t{len(d.paragraphs)} paragraphs\t{d.title}")
    return 0


def cmd_bench(args) -> int:
    from bot.bench import run_bench, run_rest_bench

    settings = _settings(args)
    run_bench(settings, args.questions, args.repeat)
    if args.rest:
        run_rest_bench(settings, args.questions)
    return 0


def cmd_eval(args) -> int:
    from bot.evaluation.report import summary_rows
    from bot.evaluation.runner import evaluate, failures, load_items, load_metrics, load_thresholds, parse_bars

    bars = load_thresholds(args.thresholds) if args.thresholds else {}
    bars.update(parse_bars(args.fail_under))
    previous = load_metrics(args.compare) if args.compare else None
    load_items(args.file)  # fail on a bad test set before loading models
    bot = _bot(args, backend=args.backend)
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


def cmd_serve(args) -> int:
    from ui.server import serve

    if not 0 < args.port < 65536:
        raise InputError(f"--port must be between 1 and 65535, got {args.port}")
    serve(_settings(args), host=args.host, port=args.port)
    return 0


def cmd_feedback(args) -> int:
    from bot.feedback import FeedbackStore

    store = FeedbackStore(_settings(args).data_dir)
    if args.action == "export":
        sys.stdout.write(store.export(args.format))
        return 0
    rows = store.rows()
    if not rows:
        print(f"no feedback yet ({store.path})")
    for r in rows:
        print(f"{r['time']}  {r['vote']:7}  {r['question']}")
    return 0


COMMANDS = {
    "ask": cmd_ask,
    "index": cmd_index,
    "docs": cmd_docs,
    "bench": cmd_bench,
    "eval": cmd_eval,
    "serve": cmd_serve,
    "feedback": cmd_feedback,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except OpedbotError as exc:
        print(f"opedbot: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("opedbot: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so in one line, keep the traceback for debugging
        if os.environ.get("OPEDBOT_DEBUG"):
            raise
        print(f"opedbot: internal error: {type(exc).__name__}: {exc} (set OPEDBOT_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
