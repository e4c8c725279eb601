"""The ``serve`` command, plugged into the CLI as an entry point of the ``opedbot.commands``
group, so the core never imports the web layer (or gradio)."""

from __future__ import annotations

from bot.errors import InputError


def register(sub) -> None:
    srv = sub.add_parser("serve", help="serve the web chat and the REST API")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=7860)
    srv.add_argument("--workers", type=int, default=1, help="server processes on this port, each with its own model (default 1)")
    srv.set_defaults(func=cmd_serve)


def cmd_serve(args) -> int:
    from bot.cli import settings_from

    if not 0 < args.port < 65536:
        raise InputError(f"--port must be between 1 and 65535, got {args.port}")
    if not 1 <= args.workers <= 64:
        raise InputError(f"--workers must be between 1 and 64, got {args.workers}")
    from ui.server import serve

    serve(settings_from(args), host=args.host, port=args.port, workers=args.workers)
    return 0
