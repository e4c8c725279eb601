"""The REST API (FastAPI, no gradio): the same answer object as the CLI, over HTTP.

    POST /api/ask            {"question", "history"?} -> answer object
    POST /api/ask/stream     server-sent events: "delta" {"text"} pieces, then "answer" {object}
    GET  /api/documents      [{id, title, date, paragraphs}]
    GET  /api/documents/{id} canonical text and paragraph offsets (check text[start:end] == quote)
    GET  /healthz            alive
    GET  /readyz             200 once the index is loaded and the answerer warm, 503 before

Every error is JSON ``{"error": "..."}`` with a 4xx status (503 while loading); a bug becomes a
500 with a generic message, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, StrictStr
from sse_starlette.sse import EventSourceResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.chain import Bot
from bot.errors import IndexMissingError, InputError, OpedbotError
from bot.validation import clean_history, clean_question

log = logging.getLogger("opedbot.api")
MAX_BODY_BYTES = 256 * 1024


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: StrictStr


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: StrictStr
    history: list[Turn] | None = None


class Readiness:
    """Loads the bot in the background so the server answers /healthz at once."""

    def __init__(self, bot: Bot, progress: Callable[[str], None] = print) -> None:
        self.bot = bot
        self.progress = progress
        self.ready = threading.Event()
        self.error: str | None = None

    def start(self) -> threading.Thread:
        t = threading.Thread(target=self._load, name="opedbot-load", daemon=True)
        t.start()
        return t

    def _load(self) -> None:
        try:
            try:
                self.bot.load()
            except IndexMissingError:
                self.progress("no index yet: building it (one-time, a few seconds)…")
                self.bot.load(build_if_missing=True)
            self.bot.ask("warm-up question about the op-ed")
            self.ready.set()
            self.progress(f"ready: {len(self.bot.index.documents)} document(s), index {self.bot.index.build_id}")
        except OpedbotError as exc:
            self.error = str(exc)
            self.progress(f"opedbot: error: {exc}")
        except Exception as exc:  # keep serving /healthz and say why /readyz fails
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("loading failed")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class BodyLimit:
    """ASGI middleware: refuse API bodies over a size limit (413) before they are read whole."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES, prefix: str = "/api/") -> None:
        self.app, self.max_bytes, self.prefix = app, max_bytes, prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        try:
            declared = int(headers.get(b"content-length", b"0"))
        except ValueError:
            declared = 0
        if declared > self.max_bytes:
            return await _error(413, f"request body over {self.max_bytes} bytes")(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            return await self.app(scope, limited, send)
        except _TooLarge:
            return await _error(413, f"request body over {self.max_bytes} bytes")(scope, receive, send)


class _TooLarge(Exception):
    pass


def _describe(exc: RequestValidationError) -> str:
    err = exc.errors()[0]
    if err.get("type") == "json_invalid":
        return "malformed JSON body"
    loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
    return f"{loc or 'body'}: {err.get('msg', 'invalid')}"


def add_api(app: FastAPI, readiness: Readiness) -> None:
    """Declare the REST routes on ``app`` (before anything is mounted at /)."""
    bot = readiness.bot

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError):
        status = 400 if exc.errors() and exc.errors()[0].get("type") == "json_invalid" else 422
        return _error(status, _describe(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException):
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _bug(_request: Request, exc: Exception):
        log.exception("internal error")
        return _error(500, "internal error")

    def require_ready() -> JSONResponse | None:
        if readiness.ready.is_set():
            return None
        return _error(503, readiness.error or "loading the index; try again in a moment")

    def checked(req: AskRequest) -> tuple[str, list[dict]]:
        s = bot.settings
        history = [t.model_dump() for t in req.history] if req.history else None
        return clean_question(req.question, s.max_question_chars), clean_history(history, s.max_history_turns, s.max_history_chars)

    @app.get("/healthz", tags=["ops"])
    def healthz():
        return {"status": "alive"}

    @app.get("/readyz", tags=["ops"])
    def readyz():
        not_ready = require_ready()
        if not_ready is not None:
            return not_ready
        return {"status": "ready", "index": bot.index.build_id, "documents": len(bot.index.documents)}

    @app.post("/api/ask", tags=["ask"], summary="Answer a question with verified quotes")
    async def ask(req: AskRequest):
        if (resp := require_ready()) is not None:
            return resp
        try:
            question, history = checked(req)
            answer = await run_in_threadpool(bot.ask, question, history)
        except InputError as exc:
            return _error(400, str(exc))
        return answer.to_dict()

    @app.post("/api/ask/stream", tags=["ask"], summary="Answer as server-sent events: delta pieces, then the answer object")
    async def ask_stream(req: AskRequest):
        if (resp := require_ready()) is not None:
            return resp
        try:
            question, history = checked(req)
        except InputError as exc:
            return _error(400, str(exc))

        async def events():
            answer = await run_in_threadpool(bot.ask, question, history)
            for piece in pieces(answer.answer):
                yield {"event": "delta", "data": json.dumps({"text": piece}, ensure_ascii=False)}
                await asyncio.sleep(0)
            yield {"event": "answer", "data": json.dumps(answer.to_dict(), ensure_ascii=False)}

        return EventSourceResponse(events(), ping=15)

    @app.get("/api/documents", tags=["documents"])
    def documents():
        if (resp := require_ready()) is not None:
            return resp
        return [{"id": d.id, "title": d.title, "date": d.date, "paragraphs": len(d.paragraphs)} for d in bot.index.documents.values()]

    @app.get("/api/documents/{doc_id}", tags=["documents"])
    def document(doc_id: str):
        if (resp := require_ready()) is not None:
            return resp
        d = bot.index.documents.get(doc_id)
        if d is None:
            return _error(404, f"no document {doc_id!r}")
        return {
            "id": d.id,
            "title": d.title,
            "date": d.date,
            "author": d.author,
            "text": d.text,
            "paragraphs": [{"n": p.n, "start": p.start, "end": p.end} for p in d.paragraphs],
        }


def pieces(text: str, size: int = 3) -> list[str]:
    """Split answer text into streamable pieces of a few words, whitespace kept."""
    words = text.split(" ")
    return [" ".join(words[i : i + size]) + (" " if i + size < len(words) else "") for i in range(0, len(words), size)]
