"""Slow clients: a deadline for receiving each request, for `opedbot serve`'s uvicorn.

Uvicorn closes a connection that idles between requests (keep-alive timeout), but not one that
trickles a request's headers or body a byte at a time: a thousand such clients hold a thousand
sockets forever (slowloris). ``TimedHttpTools`` / ``TimedH11`` are uvicorn's own protocols with
one more timer: from the moment a connection opens, or a response ends, the client has
``OPEDBOT_CLIENT_TIMEOUT`` seconds (default 10) to send a complete request, headers and body;
past it the connection is closed. Time the server spends answering is not counted. The number of
connections is capped by uvicorn's ``limit_concurrency`` (``OPEDBOT_MAX_CONNECTIONS``): past it
a new request gets 503 at once.

The classes read the timeout from the environment, because ``serve --workers`` starts its
workers as fresh processes that import this module again.
"""

from __future__ import annotations

import asyncio
import os

from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is optional in uvicorn
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


def client_timeout() -> float:
    try:
        return max(0.1, float(os.environ.get("OPEDBOT_CLIENT_TIMEOUT", "10")))
    except ValueError:
        return 10.0


class _Deadline:
    """Mixed into a uvicorn HTTP protocol (which provides loop, transport, cycle)."""

    _slow: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._slow = self.loop.call_later(client_timeout(), self._expired)  # type: ignore[attr-defined]

    def _disarm(self) -> None:
        if self._slow is not None:
            self._slow.cancel()
            self._slow = None

    def _expired(self) -> None:
        self._slow = None
        cycle = self.cycle  # type: ignore[attr-defined]
        waiting = cycle is None or cycle.response_complete  # no complete headers since the last response
        if waiting or cycle.more_body:  # headers or body still trickling in
            transport = self.transport  # type: ignore[attr-defined]
            if transport is not None and not transport.is_closing():
                transport.close()

    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._arm()

    def connection_lost(self, exc) -> None:  # type: ignore[no-untyped-def]
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]


class TimedH11(_Deadline, H11Protocol):
    pass


if HttpToolsProtocol is not None:

    class TimedHttpTools(_Deadline, HttpToolsProtocol):
        pass

    PROTOCOL: type = TimedHttpTools
else:  # pragma: no cover
    PROTOCOL = TimedH11
