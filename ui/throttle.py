"""Per-client limits on questions, so one address cannot take the whole server: a rate limit
(questions per minute, a moving window from the ``limits`` library) and a cap on the questions
one address has in flight at once. Both key on the client's address as uvicorn sees it (behind
a reverse proxy on this machine, uvicorn takes it from ``X-Forwarded-For``; see README).

``ClientLimits`` is shared by the REST middleware (``Throttle``) and the Gradio chat, so a
question counts once against the same budget whichever door it comes through. What this leaves
out: it is per process and in memory (restarting forgets it; several workers each count apart).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ui.guards import error


@dataclass(frozen=True)
class Refusal:
    """Why a question is not taken now: the HTTP status, a message for people, and the seconds
    to wait (``Retry-After``)."""

    status: int
    message: str
    retry_after: int

    def response(self):
        return error(self.status, self.message, headers={"Retry-After": str(self.retry_after)}, retry_after=self.retry_after)


class ClientLimits:
    """``per_minute`` questions per client per minute (0: off) and at most ``per_client``
    questions in flight per client (0: off)."""

    def __init__(self, per_minute: int = 30, per_client: int = 4) -> None:
        self.per_minute, self.per_client = per_minute, per_client
        self.item = RateLimitItemPerMinute(per_minute) if per_minute > 0 else None
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.in_flight: Counter[str] = Counter()

    def take(self, client: str) -> Refusal | None:
        """Count one question from ``client``; a Refusal when it is over the rate."""
        if self.item is None or self.limiter.hit(self.item, "ask", client):
            return None
        reset = self.limiter.get_window_stats(self.item, "ask", client).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        return Refusal(429, f"Too many questions: at most {self.per_minute} a minute. Please wait {wait} s and ask again.", wait)

    def enter(self, client: str) -> Refusal | None:
        """Mark one question from ``client`` in flight (pair with ``leave``), or a Refusal."""
        if self.per_client > 0 and self.in_flight[client] >= self.per_client:
            return Refusal(429, f"You already have {self.per_client} questions being answered; wait for them to finish.", 1)
        self.in_flight[client] += 1
        return None

    def leave(self, client: str) -> None:
        self.in_flight[client] -= 1
        if self.in_flight[client] <= 0:
            del self.in_flight[client]


def client_of(scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


class Throttle:
    """ASGI middleware applying ``ClientLimits`` to questions (``POST /api/ask*``): 429 with
    ``Retry-After`` and ``{"error", "retry_after"}`` past either limit. One event loop, so the
    check and the count need no lock."""

    def __init__(self, app, limits: ClientLimits, prefix: str = "/api/ask") -> None:
        self.app, self.limits, self.prefix = app, limits, prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        client = client_of(scope)
        refusal = self.limits.enter(client)
        if refusal is None:
            refusal = self.limits.take(client)
            if refusal is not None:
                self.limits.leave(client)
        if refusal is not None:
            return await refusal.response()(scope, receive, send)
        try:
            return await self.app(scope, receive, send)
        finally:
            self.limits.leave(client)
