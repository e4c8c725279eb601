"""``opedbot serve``: the web layer in one module: REST routes, readiness, body limit, app
factory, and the Gradio chat mounted at /.

    POST /api/ask            {"question", "history"?} -> answer object
    POST /api/ask/stream     server-sent events: "delta" {"text"} pieces, then "answer" {object}
    GET  /api/documents      [{id, title, date, paragraphs}]
    GET  /api/documents/{id} canonical text and paragraph offsets (check text[start:end] == quote)
    GET  /healthz            200 as soon as the server is bound
    GET  /readyz             503 {"status": "loading", "step"} until the answerer is warm, then 200
    GET  /widget.js          the embeddable widget's loader (ui.widget)
    GET  /embed              the widget's chat page, framable by OPEDBOT_ALLOWED_ORIGINS

Questions (POST /api/ask*) are limited per client address (ui.throttle: OPEDBOT_RATE_LIMIT a
minute, OPEDBOT_MAX_IN_FLIGHT_PER_CLIENT at once; 429 with Retry-After), and the API sends CORS
headers to OPEDBOT_ALLOWED_ORIGINS only (ui.origins).

The server binds at once: the index and model load (or the index is built) in a background
thread, and /readyz says which step it is at. Every error is JSON ``{"error": "..."}`` with a
4xx status (503 while loading); a bug is a 500 with a generic message, never a traceback.
Telemetry and analytics are off before gradio is imported (``index.offline``); share,
monitoring and error details stay off.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import threading
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.concurrency import iterate_in_threadpool, run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, StrictStr
from sse_starlette.sse import EventSourceResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

import index  # noqa: F401  (offline switches before gradio)
from bot.config import Settings
from bot.errors import InputError, OpedbotError
from bot.feedback import FeedbackStore
from bot.service import Bot
from bot.validation import parse_request
from ui.apidocs import api_page
from ui.guards import BodyLimit, InFlightLimit, SecurityHeaders, allowed_hosts, error
from ui.origins import ApiCors, embed_csp
from ui.throttle import ClientLimits, Throttle
from ui.widget import add_widget_routes

log = logging.getLogger("opedbot.server")


def _say(msg: str) -> None:
    print(f"opedbot: {msg}", file=sys.stderr, flush=True)


# ---- request bodies: JSON shape only; the rules are bot.validation's, applied once


class TurnBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: StrictStr


class AskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: StrictStr
    history: list[TurnBody] | None = None


# ---- readiness


class Readiness:
    """Loads the bot in a background thread and says where it is: ``step`` is "starting",
    "loading index", "loading model", "building index", "warming up", then "ready". Once ready,
    it looks for a new build every ``OPEDBOT_RELOAD_SECONDS`` and swaps to it."""

    def __init__(self, bot: Bot, progress=_say) -> None:
        self.bot = bot
        self.progress = progress
        self.ready = threading.Event()
        self.step = "starting"
        self.error: str | None = None
        self.stopped = threading.Event()  # set to end the watch for new builds

    def start(self) -> threading.Thread:
        t = threading.Thread(target=self._load, name="opedbot-load", daemon=True)
        t.start()
        return t

    def _at(self, step: str) -> None:
        self.step = step
        if step == "building index":
            self.progress("no index yet: building it (one-time, a few seconds)…")

    def _load(self) -> None:
        try:
            self.bot.load(build_if_missing=True, progress=self._at)
            self._at("warming up")
            self.bot.ask(parse_request("warm-up question about the op-ed", None, self.bot.settings))
            gc.freeze()  # the loaded index and model stay: later collections need not scan them
            self.step = "ready"
            self.ready.set()
            self.progress(f"ready: {len(self.bot.index.documents)} document(s), index {self.bot.index.build_id}")
        except OpedbotError as exc:
            self.error = str(exc)
            self.progress(f"error: {exc}")
            return
        except Exception as exc:  # keep serving /healthz and say why /readyz fails
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("loading failed")
            return
        self._watch()

    def _watch(self) -> None:
        """Swap to a new build between questions when one is served (``opedbot index add``
        here, or another machine building against the same Chroma server)."""
        every = self.bot.settings.reload_seconds
        while every > 0 and not self.stopped.wait(every):
            try:
                if (build := self.bot.refresh()) is not None:
                    self.progress(f"now serving index {build}: {len(self.bot.index.documents)} document(s)")
            except Exception as exc:  # the build being served keeps answering
                self.progress(f"could not load the new index ({exc}); still serving {self.bot.index.build_id}")

    def status(self) -> dict:
        if self.error:
            return {"status": "error", "step": self.step, "error": self.error}
        if not self.ready.is_set():
            return {"status": "loading", "step": self.step}
        idx = self.bot.index
        return {"status": "ready", "index": idx.build_id, "documents": len(idx.documents)}


# ---- errors


def _describe(exc: RequestValidationError) -> str:
    err = exc.errors()[0]
    if err.get("type") == "json_invalid":
        return "malformed JSON body"
    loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
    return f"{loc or 'body'}: {err.get('msg', 'invalid')}"


# ---- routes


def add_routes(app: FastAPI, readiness: Readiness) -> None:
    """Declare the REST routes on ``app`` (before anything is mounted at /)."""
    bot = readiness.bot

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError):
        status = 400 if exc.errors() and exc.errors()[0].get("type") == "json_invalid" else 422
        return error(status, _describe(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException):
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _bug(_request: Request, exc: Exception):
        log.exception("internal error")
        return error(500, "internal error")

    def not_ready() -> JSONResponse | None:
        if readiness.ready.is_set():
            return None
        s = readiness.status()
        return error(503, s.get("error") or f"not ready yet ({s['step']}); try again in a moment", step=s["step"])

    def request_from(body: AskBody):
        """The checked request, or the JSON error to send instead (503 loading, 400 bad input)."""
        if (resp := not_ready()) is not None:
            return None, resp
        history = [t.model_dump() for t in body.history] if body.history else None
        try:
            return parse_request(body.question, history, bot.settings), None
        except InputError as exc:
            return None, error(400, str(exc))

    @app.get("/healthz", tags=["ops"])
    def healthz():
        return {"status": "alive"}

    @app.get("/readyz", tags=["ops"])
    def readyz():
        s = readiness.status()
        return s if s["status"] == "ready" else JSONResponse(s, status_code=503)

    @app.post("/api/ask", tags=["ask"], summary="Answer a question with verified quotes")
    async def ask(body: AskBody):
        request, error = request_from(body)
        if error is not None:
            return error
        answer = await run_in_threadpool(bot.ask, request)
        return answer.to_dict()

    @app.post("/api/ask/stream", tags=["ask"], summary="Answer as server-sent events: delta pieces, then the answer object")
    async def ask_stream(body: AskBody):
        request, error = request_from(body)
        if error is not None:
            return error

        async def events():
            # the answer as the bot makes it (a model's prose lead token by token), read in a
            # worker thread so the event loop keeps serving everyone else
            async for kind, value in iterate_in_threadpool(bot.ask_stream(request)):
                if kind == "delta":
                    yield {"event": "delta", "data": json.dumps({"text": value}, ensure_ascii=False)}
                else:
                    yield {"event": "answer", "data": json.dumps(value.to_dict(), ensure_ascii=False)}

        return EventSourceResponse(events(), ping=15)

    @app.get("/api/documents", tags=["documents"])
    def documents():
        if (resp := not_ready()) is not None:
            return resp
        return [{"id": d.id, "title": d.title, "date": d.date, "paragraphs": len(d.paragraphs)} for d in bot.index.documents.values()]

    @app.get("/api/documents/{doc_id}", tags=["documents"])
    def document(doc_id: str):
        if (resp := not_ready()) is not None:
            return resp
        d = bot.index.documents.get(doc_id)
        if d is None:
            return error(404, f"no document {doc_id!r}")
        return {
            "id": d.id,
            "title": d.title,
            "date": d.date,
            "author": d.author,
            "text": d.text,
            "paragraphs": [{"n": p.n, "start": p.start, "end": p.end} for p in d.paragraphs],
        }

    @app.get("/docs", include_in_schema=False)
    def docs():
        return HTMLResponse(api_page(app.openapi()))

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"], include_in_schema=False)
    def api_unknown(request: Request, rest: str):
        """Declared last: a known API path asked with the wrong method is 405, an unknown one
        404, both in the API's JSON shape (not the chat's pages, mounted at /)."""
        path = request.url.path
        allowed = sorted(
            {m for r in app.routes if getattr(r, "path", None) == path and r is not api_route for m in getattr(r, "methods", ())}
        )
        if allowed:
            return error(405, f"{request.method} is not allowed on {path}; use {', '.join(allowed)}", headers={"Allow": ", ".join(allowed)})
        return error(404, f"no API route {path}")

    api_route = app.routes[-1]


# ---- the app


def create_app(settings: Settings, bot: Bot | None = None, chat: bool = True, host: str = "127.0.0.1") -> tuple[FastAPI, Readiness]:
    """The ASGI app and its readiness. Loading starts in the background and is not waited for:
    the app serves /healthz at once, /readyz and the API answer 503 with the step until ready,
    and the chat page says it is loading."""
    bot = bot or Bot(settings)
    readiness = Readiness(bot)
    readiness.start()  # model and index load while gradio imports, on the other core
    app = FastAPI(
        docs_url=None,  # Swagger UI and ReDoc load from a CDN: our own page instead (ui.apidocs)
        redoc_url=None,
        title="opedbot",
        version="0.1.0",
        description="Answers questions about an op-ed with its own words, as verified quotes. "
        "Every quote satisfies document.text[start:end] == quote.text; check it with GET /api/documents/{id}.",
    )
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    limits = ClientLimits(settings.rate_limit, settings.max_in_flight_per_client)
    # Outermost last: headers on everything, then the Host check, CORS (so refusals below carry
    # it), the server-wide cap, the per-client limits, the body limit.
    app.add_middleware(BodyLimit)
    app.add_middleware(Throttle, limits=limits)
    app.add_middleware(InFlightLimit, limit=settings.max_in_flight)
    if settings.origins:
        app.add_middleware(ApiCors, origins=settings.origins)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(host, settings.allowed_hosts))
    app.add_middleware(SecurityHeaders, csp_for={"/embed": embed_csp(settings.origins)})
    add_widget_routes(app, settings)
    add_routes(app, readiness)
    if not chat:
        return app, readiness
    import gradio as gr

    from ui.chat import THEME, build_app
    from ui.render import CSS, JS

    blocks = build_app(readiness, FeedbackStore(settings.data_dir), limits)
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
        footer_links=[],  # no "Use via API · Built with Gradio · Settings"
    )
    return app, readiness


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, workers: int = 1) -> None:
    """Serve until stopped. With ``workers`` > 1, uvicorn runs that many processes on one
    port, each with its own model and a copy of the index in memory and its share of the CPU
    threads; the index is built first, here, so the workers do not race to build it. The
    Gradio chat keeps its sessions in one process, so with workers / is the compact chat of the
    widget (/embed), which keeps its conversation in the browser and asks the stateless API."""
    import uvicorn

    from ui.slowclients import PROTOCOL

    _say(f"starting on http://{host}:{port} (chat at /, API docs at /docs)")
    os.environ["OPEDBOT_CLIENT_TIMEOUT"] = str(settings.client_timeout)  # read by the protocol, in every worker
    limits: dict[str, Any] = {
        "http": PROTOCOL,
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": 5,
        "log_level": "warning",
    }
    if workers <= 1:
        app, _ = create_app(settings, host=host)
        uvicorn.run(app, host=host, port=port, **limits)
        return
    from bot.service import open_store

    store = open_store(settings, progress=_say)
    if store.current_manifest() is None:
        store.build()
    _say(f"{workers} workers: the API, the widget and the compact chat at / (the Gradio chat needs --workers 1)")
    os.environ.update(OPEDBOT_DATA_DIR=str(settings.data_dir), OPEDBOT_SERVE_HOST=host)
    os.environ["OPEDBOT_EMBED_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    uvicorn.run("ui.server:worker_app", factory=True, host=host, port=port, workers=workers, **limits)


def worker_app() -> FastAPI:
    """The app of one ``serve --workers N`` process (settings from the environment)."""
    from bot.config import load_settings

    app, _ = create_app(load_settings(), chat=False, host=os.environ.get("OPEDBOT_SERVE_HOST", "127.0.0.1"))

    @app.get("/", include_in_schema=False)
    def home():
        return RedirectResponse("/embed")

    return app
