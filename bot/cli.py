"""``opedbot``: the command line, an edge over the core. It turns domain errors into one-line
messages and exit codes:

    0  success            1  eval under its bars, or an internal error
    2  bad input, bad configuration, missing index (the message says what to do)

It knows its own commands (ask, index, docs, feedback). Others plug in as entry points of the
``opedbot.commands`` group (pyproject.toml): a module's ``register(subparsers)`` adds its
parser, so ``serve`` (the web layer, ``ui``) and ``eval``/``bench`` (``bot.evaluation``) are
reachable from here while the core never imports them. No traceback reaches the user unless
OPEDBOT_DEBUG=1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

import index  # noqa: F401  (offline switches before anything heavy)
from bot.errors import InputError, OpedbotError

EXIT_USAGE = 2
COMMANDS_GROUP = "opedbot.commands"


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
    ask.add_argument("--explain", action="store_true", help="also say why the bot refused, and which passages it retrieved")
    ask.add_argument("--backend", help="answerer (OPEDBOT_BACKEND); default extractive")
    ask.add_argument("--stream", action="store_true", help="print the answer as it is written (with OPEDBOT_LLM_PROSE: the model's words)")
    ask.add_argument("--prose", action="store_true", help="a model backend writes the lead in prose (OPEDBOT_LLM_PROSE)")
    ask.set_defaults(func=cmd_ask)

    idx = sub.add_parser("index", help="build the index (does nothing when it is up to date)")
    idx.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
    idx.set_defaults(func=cmd_index)
    idx_sub = idx.add_subparsers(dest="index_command", parser_class=_Parser)
    add = idx_sub.add_parser("add", help="add documents (.txt, .md, .html) and index them")
    add.add_argument("paths", nargs="+", type=Path)
    add.add_argument("--title", help="title for the document (one path only)")
    add.add_argument("--id", dest="doc_id", help="document id (one path only); default: from the file name")
    add.add_argument("--replace", action="store_true", help="update a document already indexed under the same id")
    add.add_argument("--follow-symlinks", action="store_true", help="read files behind symbolic links (refused by default)")
    rm = idx_sub.add_parser("remove", help="remove documents by id (the shipped op-ed too) and rebuild")
    rm.add_argument("ids", nargs="+")

    docs = sub.add_parser("docs", help="list the indexed documents")
    docs.add_argument("--json", action="store_true")
    docs.set_defaults(func=cmd_docs)

    fb = sub.add_parser("feedback", help="list or export readers' likes and dislikes")
    fb.add_argument("action", nargs="?", choices=["list", "export"], default="list")
    fb.add_argument("--format", choices=["jsonl", "csv"], default="jsonl", help="export format")
    fb.set_defaults(func=cmd_feedback)

    for ep in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        ep.load()(sub)
    return p


def settings_from(args, **extra):
    """The settings object, with the global --data-dir and any per-command flags applied."""
    from bot.config import load_settings

    return load_settings(data_dir=args.data_dir, **extra)


def read_json(path: Path, what: str):
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(f"{what} {path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{what} {path}: not valid JSON ({exc})") from None


def read_batch(path: Path, settings) -> list:
    """Every line of a batch file as a checked Request, or InputError naming file and line."""
    from bot.jsonl import read_objects
    from bot.validation import parse_request

    requests = []
    for n, d in read_objects(path, "batch file"):
        if "question" not in d or "id" not in d:
            raise InputError(f"batch file {path}:{n}: each line must be an object with 'id' and 'question'")
        if not isinstance(d["id"], (str, int)) or isinstance(d["id"], bool):
            raise InputError(f"batch file {path}:{n}: 'id' must be a string or a number")
        try:
            requests.append(parse_request(d["question"], d.get("history"), settings, id=d["id"]))
        except InputError as exc:
            raise InputError(f"batch file {path}:{n}: {exc}") from None
    if not requests:
        raise InputError(f"batch file {path}: no questions")
    return requests


def print_answer(a, explain: bool = False) -> None:
    """The answer (its quotes inline, once), then where each quote comes from."""
    print(a.answer)
    print_sources(a, explain)


def print_sources(a, explain: bool = False) -> None:
    if a.quotes:
        print()
    for q in a.quotes:
        print(f"[{q.n}] paragraph {q.paragraph} of {q.doc}, characters {q.start}–{q.end}")
    if explain:
        print()
        print(f"why: {a.reason}" if a.reason else "why: answered")
        for r in a.retrieved:
            print(f"retrieved: {r['doc']} [{r['start']}:{r['end']}]")


def cmd_ask(args) -> int:
    from bot.service import Bot
    from bot.validation import parse_request

    if (args.question is None) == (args.batch is None):
        raise InputError("give either a QUESTION or --batch FILE")
    settings = settings_from(args, backend=args.backend, **({"llm_prose": True} if args.prose else {}))
    # Input is checked once, here, before anything is loaded or built.
    if args.batch:
        requests = read_batch(args.batch, settings)
    else:
        history = read_json(args.history, "history file") if args.history else None
        requests = [parse_request(args.question, history, settings)]
    bot = Bot(settings)
    bot.load(build_if_missing=True)
    if args.batch:
        for r in requests:
            sys.stdout.write(json.dumps(bot.ask(r).to_dict(), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        return 0
    if args.stream and not args.json:
        streamed, a = "", None
        for kind, value in bot.ask_stream(requests[0]):
            if kind == "delta":
                streamed += str(value)
                sys.stdout.write(str(value))
                sys.stdout.flush()
            else:
                a = value
        assert a is not None and not isinstance(a, str)
        # The stream was the whole answer, or a model's lead: then the quotes follow it (and
        # when the final check dropped part of the lead, the checked answer is printed whole).
        rest = a.answer[len(streamed.strip()) :] if a.answer.startswith(streamed.strip()) else "\n" + a.answer
        print(rest.rstrip())
        print_sources(a, explain=args.explain)
        return 0
    a = bot.ask(requests[0])
    if args.json:
        print(json.dumps(a.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_answer(a, explain=args.explain)
    return 0


def cmd_index(args) -> int:
    from bot.service import open_store
    from index.documents import load_document

    settings = settings_from(args)
    store = open_store(settings)
    if args.index_command == "add":
        if (args.title or args.doc_id) and len(args.paths) > 1:
            raise InputError("--title and --id apply to one file; add the files one at a time")
        docs = [load_document(p, doc_id=args.doc_id, title=args.title, follow_symlinks=args.follow_symlinks) for p in args.paths]
        r = store.add(docs, replace=args.replace)
    elif args.index_command == "remove":
        r = store.remove(args.ids)
    else:
        r = store.build(force=args.force)
    print(f"{'built' if r.changed else 'up to date'}: {r.documents} document(s), {r.chunks} chunks, {r.sentences} sentences ({r.build_id})")
    return 0


def cmd_docs(args) -> int:
    from bot.service import open_store

    settings = settings_from(args)  # reading the index needs no model
    docs = list(open_store(settings).load().documents.values())
    if args.json:
        rows = [{"id": d.id, "title": d.title, "date": d.date, "paragraphs": len(d.paragraphs), "chars": len(d.text)} for d in docs]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for d in docs:
        print(f"{d.id}\t{d.date or '-'}\t{len(d.paragraphs)} paragraphs\t{d.title}")
    return 0


def cmd_feedback(args) -> int:
    from bot.feedback import FeedbackStore

    store = FeedbackStore(settings_from(args).data_dir)
    rows, skipped = store.read()
    if skipped:
        print(f"opedbot: skipped {skipped} unreadable line(s) in {store.path}", file=sys.stderr)
    if args.action == "export":
        sys.stdout.write(store.export(args.format))
        return 0
    if not rows:
        print(f"no feedback yet ({store.path})")
    for r in rows:
        print(f"{r.get('time', '?')}  {r['vote']:7}  {r['question']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed as one line
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return args.func(args)
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
