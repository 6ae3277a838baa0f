"""Per-student rate limits: token buckets, and an ASGI middleware that applies one to every request
a joined student's browser makes (static files excepted).

A bucket holds `burst` tokens and refills at `rate` per second; a request takes one. When it is
empty the request is answered 429 in the learner's language, with Retry-After.
"""

from __future__ import annotations

import threading
import time
from http.cookies import SimpleCookie

from starlette.requests import Request
from app.web import error_response, translator

STUDENT_COOKIE = "pg_student"


class RateLimiter:
    """Thread-safe token buckets keyed by a string; forgets idle keys so memory stays bounded."""

    def __init__(self, rate: float, burst: float, max_keys: int = 20_000) -> None:
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, time of last update)
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """0 when allowed; otherwise the seconds to wait before the next try."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > self.max_keys:
                    self._forget_full(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        full_after = self.burst / self.rate
        for key, (_tokens, last) in list(self._buckets.items()):
            if now - last > full_after:
                del self._buckets[key]


def student_token_from_scope(scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie" and STUDENT_COOKIE.encode() in value:
            cookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except Exception:
                return None
            morsel = cookie.get(STUDENT_COOKIE)
            return morsel.value if morsel else None
    return None


class StudentRateLimitMiddleware:
    """Pure ASGI (no buffering, so SSE streams pass straight through)."""

    def __init__(self, app, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            return await self.app(scope, receive, send)
        token = student_token_from_scope(scope)
        if token:
            wait = self.limiter.take(token[:64])
            if wait > 0:
                request = Request(scope)
                _ = translator(request)
                seconds = max(1, round(wait + 0.49))
                response = error_response(request, 429, _("classroom.rate_limited", seconds=seconds), "classroom.rate_limited")
                response.headers["Retry-After"] = str(seconds)
                return await response(scope, receive, send)
        return await self.app(scope, receive, send)
