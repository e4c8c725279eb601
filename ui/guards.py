"""What every response of the web layer passes through, outside the routes: a body size limit
for the API, security headers on every response, and the Host check that stops DNS rebinding.

* ``BodyLimit``: API bodies over 256 KiB get 413 before they are read whole, declared
  (Content-Length) or streamed (chunked).
* ``SecurityHeaders``: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``, and a
  Content-Security-Policy that fits the response: pages may load scripts, styles and fonts only
  from this server, connect only to it and be framed only by it (Gradio 6 needs inline scripts
  and evaluates its templates and custom JS with ``Function``, hence 'unsafe-inline' and
  'unsafe-eval': what the policy stops is anything from or to another origin); JSON and other
  API responses allow nothing at all. A path can have its own policy (``csp_for``): the widget's
  ``/embed`` page has a strict one that other origins may frame (ui.origins).
* ``allowed_hosts``: the Host names the server answers for (127.0.0.1, localhost, ::1, the host
  it is bound to, and ``OPEDBOT_ALLOWED_HOSTS``); starlette's ``TrustedHostMiddleware`` answers
  any other with 400, so a page on another site cannot reach a local server by pointing its own
  name at 127.0.0.1.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse

MAX_BODY_BYTES = 256 * 1024
PAGE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; media-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def error(status: int, message: str, headers: dict | None = None, **extra) -> JSONResponse:
    """The API's one error shape: ``{"error": message, …}``."""
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def allowed_hosts(bound: str, extra: str = "") -> list[str]:
    hosts = ["127.0.0.1", "localhost", "::1", "[::1]"]
    if bound and bound not in ("0.0.0.0", "::"):
        hosts.append(bound)
    hosts += [h.strip() for h in extra.split(",") if h.strip()]
    return list(dict.fromkeys(hosts))


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response."""

    def __init__(self, app, csp_for: dict[str, str] | None = None) -> None:
        self.app = app
        self.csp_for = csp_for or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in (b"content-security-policy", b"x-frame-options")
                ]
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                csp = self.csp_for.get(scope["path"]) or (PAGE_CSP if ctype.startswith(b"text/html") else API_CSP)
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", csp.encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, with_headers)


class InFlightLimit:
    """ASGI middleware: at most ``limit`` questions (``POST /api/ask*``) in flight; past that a
    request gets 503 with ``Retry-After`` at once instead of joining a queue that only grows, so
    under overload the latency of the answers that are served stays bounded. 0 turns it off."""

    def __init__(self, app, limit: int = 0, prefix: str = "/api/ask") -> None:
        self.app, self.limit, self.prefix = app, limit, prefix
        self.in_flight = 0

    async def __call__(self, scope, receive, send):
        if self.limit <= 0 or scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        if self.in_flight >= self.limit:
            busy = error(503, "the server is busy; try again in a moment", headers={"Retry-After": "1"})
            return await busy(scope, receive, send)
        self.in_flight += 1  # one event loop: no lock needed between the check and the count
        try:
            return await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class BodyLimit:
    """ASGI middleware: refuse API bodies over a size limit (413) before the app sees them. A
    declared Content-Length is checked at once; a body without one (chunked) is read here up to
    the limit and handed on only if it fits, since the app's own body parsing would turn an
    error raised mid-read into a 400."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES, prefix: str = "/api/") -> None:
        self.app, self.max_bytes, self.prefix = app, max_bytes, prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        too_large = error(413, f"request body over {self.max_bytes} bytes")
        headers = dict(scope.get("headers") or [])
        try:
            declared = int(headers.get(b"content-length", b"-1"))
        except ValueError:
            declared = -1
        if declared > self.max_bytes:
            return await too_large(scope, receive, send)
        if declared >= 0:
            return await self.app(scope, receive, send)
        messages, seen = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                return await too_large(scope, receive, send)
            if not message.get("more_body", False):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        return await self.app(scope, replay, send)
