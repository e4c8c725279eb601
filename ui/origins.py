"""Which other sites may use this server from a browser: ``OPEDBOT_ALLOWED_ORIGINS``.

* ``embed_csp(origins)``: the strict Content-Security-Policy of the widget's page ``/embed``:
  scripts, styles and requests only from this server (no 'unsafe-inline', no 'unsafe-eval'), and
  ``frame-ancestors 'self'`` plus exactly the listed origins. An empty list means only this
  server may frame it: fail closed.
* ``ApiCors``: starlette's ``CORSMiddleware`` for the REST API only (``/api/``), for the listed
  origins only: ``Access-Control-Allow-Origin: <that origin>``, ``Vary: Origin`` and answered
  preflights. The widget's iframe is same-origin with the API and needs none of this; a site
  calling the API from its own pages does. Any other origin gets no CORS headers (its preflight
  400), and the chat's pages are left to Gradio.

An origin check is not authentication: it stops other sites' pages in ordinary browsers, not a
script or curl, which can send any ``Origin`` or none.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware

EMBED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
)


def embed_csp(origins: tuple[str, ...] | list[str]) -> str:
    return EMBED_CSP.format(ancestors=" ".join(["'self'", *origins]))


class ApiCors:
    """ASGI middleware: CORS for ``prefix`` paths from ``origins``; everything else passes by."""

    def __init__(self, app, origins: tuple[str, ...] | list[str], prefix: str = "/api/") -> None:
        self.app, self.prefix = app, prefix
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
            expose_headers=["retry-after"],
            max_age=600,
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            return await self.cors(scope, receive, send)
        return await self.app(scope, receive, send)
