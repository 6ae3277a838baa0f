"""Request-level safety that every route shares, as one pure ASGI middleware (no buffering, so
event streams pass straight through):

- the client's network address is made known to the job quotas (app/jobs/service.py
  SUBMITTER_ADDRESS): a browser that sends no cookie, or a made-up one, is still one address.
"""

from __future__ import annotations

from app.jobs.service import SUBMITTER_ADDRESS


class SecurityMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        client = scope.get("client")
        token = SUBMITTER_ADDRESS.set(client[0] if client else "")
        try:
            return await self.app(scope, receive, send)
        finally:
            SUBMITTER_ADDRESS.reset(token)
