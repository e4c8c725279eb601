"""``opedbot serve``: one FastAPI app with the REST API and the Gradio chat mounted at /.

Telemetry and analytics are off before gradio is imported (``index.offline``); share, monitoring
and error details stay off. The index loads (or is built, with a progress line) in the
background: /healthz answers at once, /readyz turns 200 when answers can be served, and the chat
page is mounted as soon as the index is there.
"""

from __future__ import annotations

import sys

import index  # noqa: F401  (offline switches before gradio)
from bot.api import BodyLimit, Readiness, add_api
from bot.chain import Bot
from bot.config import Settings
from bot.feedback import FeedbackStore


def _say(msg: str) -> None:
    print(f"opedbot: {msg}", file=sys.stderr, flush=True)


def create_app(settings: Settings, bot: Bot | None = None):
    """The ASGI app. The index is loaded before returning (the chat needs the documents to draw
    its source panel); if loading fails, only the REST routes are served and /readyz says why."""
    from fastapi import FastAPI

    bot = bot or Bot(settings)
    readiness = Readiness(bot, progress=_say)
    thread = readiness.start()  # model and index load while gradio imports, on the other core
    app = FastAPI(
        title="opedbot",
        version="0.1.0",
        description="Answers questions about an op-ed with its own words, as verified quotes. "
        "Every quote satisfies document.text[start:end] == quote.text; check it with GET /api/documents/{id}.",
    )
    app.add_middleware(BodyLimit)
    add_api(app, readiness)
    import gradio as gr

    from ui.chat import THEME, build_app
    from ui.render import CSS, JS

    thread.join()
    if not readiness.ready.is_set():
        return app, readiness  # REST reports the error on /readyz; no chat without an index
    blocks = build_app(bot, FeedbackStore(settings.data_dir))
    blocks.queue(default_concurrency_limit=4, max_size=64)
    app = gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        show_error=False,
        enable_monitoring=False,
        theme=THEME,
        css=CSS,
        js=JS,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
    )
    return app, readiness


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    import uvicorn

    _say(f"starting on http://{host}:{port} (chat at /, API docs at /docs)")
    app, readiness = create_app(settings)
    if readiness.error:
        _say("not serving answers until the error above is fixed; /healthz and /readyz stay up")
    uvicorn.run(app, host=host, port=port, log_level="warning")
