"""The embeddable widget's routes: the loader script other sites include, and the compact chat
page it frames. Plain files under ``ui/static/`` (no Gradio, no inline script or style):

    GET /widget.js      the loader: a launcher button in a closed shadow root, the panel an iframe
    GET /embed          the chat page in that iframe (strict CSP; framable by OPEDBOT_ALLOWED_ORIGINS)
    GET /embed/{file}   its script and style sheet

The page gets its suggested questions and limits as a JSON data block (not executed, ``<``
escaped), so the questions come from ``ui.examples`` like the chat's.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse

from bot.config import Settings
from ui.examples import EXAMPLES
from ui.guards import error

STATIC = Path(__file__).parent / "static"
ASSETS = {"embed.js": "text/javascript; charset=utf-8", "embed.css": "text/css; charset=utf-8"}


def embed_page(settings: Settings) -> str:
    config = {
        "examples": list(EXAMPLES),
        "maxQuestionChars": settings.max_question_chars,
        "maxHistoryTurns": settings.max_history_turns,
        "maxHistoryChars": settings.max_history_chars,
        "chatUrl": "/",
    }
    data = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (STATIC / "embed.html").read_text("utf-8").replace("{{CONFIG}}", data)


def add_widget_routes(app: FastAPI, settings: Settings) -> None:
    """Declare the widget's routes on ``app`` (before anything is mounted at /)."""
    page = embed_page(settings)

    @app.get("/widget.js", include_in_schema=False)
    def widget_js():
        # A script tag on any site loads it: no CORS needed, but say cross-origin use is meant
        # (sites with Cross-Origin-Embedder-Policy need this to load it at all).
        return FileResponse(
            STATIC / "widget.js",
            media_type="text/javascript; charset=utf-8",
            headers={"Cross-Origin-Resource-Policy": "cross-origin", "Cache-Control": "public, max-age=300"},
        )

    @app.get("/embed", include_in_schema=False)
    def embed():
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    @app.get("/embed/{name}", include_in_schema=False)
    def embed_asset(name: str):
        if name not in ASSETS:
            return error(404, f"no widget file {name!r}")
        return FileResponse(STATIC / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})
