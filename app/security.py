"""Request-level safety that every route shares, as one pure ASGI middleware (no buffering, so
event streams pass straight through):

- **Cross-site requests are refused** (403 in the learner's language): a request that changes
  something (any method but GET/HEAD/OPTIONS) must come from a page of this site, i.e. its
  `Origin` has this host *and port* — `http://127.0.0.1:9011` is another site's page here, even
  though a browser calls it "same-site" and sends SameSite=Lax cookies along. Without an `Origin`,
  `Sec-Fetch-Site` must not be `cross-site` or `same-site`. A request with neither header is not
  from a current browser's page (curl, a test client, a script): it carries no victim's cookies.
- **Headers on every response**: nothing sniffed, no referrer to other sites, never framed.
- FastAPI stops a body at its route's `max_body_size` while it streams in (app/uploads.py); when
  it answers a declared oversize Content-Length with its plain English 413, the learner gets the
  same refusal in their language.
- The client's network address is made known to the job quotas (app/jobs/service.py
  SUBMITTER_ADDRESS): a browser that sends no cookie, or a made-up one, is still one address.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY

from app.errors import UserError
from app.jobs.service import SUBMITTER_ADDRESS
from app.uploads import DEFAULT_MAX_BODY
from app.web import error_response, translator

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
DEFAULT_PORTS = {"http": 80, "https": 443}
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


def _host_port(netloc: str, scheme: str) -> tuple[str, int | None] | None:
    try:
        parts = urlsplit(f"//{netloc}")
        return (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number
        return None


def same_origin(headers: dict[bytes, bytes]) -> bool:
    """Whether a state-changing request comes from a page of this site (see the module's docstring)."""
    origin = headers.get(b"origin", b"").decode("latin-1").strip()
    if origin:
        parts = urlsplit(origin)
        if origin == "null" or parts.scheme not in DEFAULT_PORTS:
            return False
        theirs = _host_port(parts.netloc, parts.scheme)
        # Behind a reverse proxy that rewrites Host, X-Forwarded-Host names the site (a page of
        # another site cannot set that header on a request without CORS allowing it).
        ours = [_host_port(headers.get(name, b"").decode("latin-1").split(",")[0].strip(), parts.scheme)
                for name in (b"host", b"x-forwarded-host") if headers.get(name)]
        return theirs is not None and theirs in ours
    return headers.get(b"sec-fetch-site", b"").decode("latin-1").lower() not in ("cross-site", "same-site")


def docs_csp(html: str) -> str:
    """The CSP of /docs (Swagger UI): its one inline script allowed by its hash, nothing else inline."""
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
                      for body in re.findall(r"<script>(.*?)</script>", html, flags=re.S))
    return ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            f"script-src 'self' {hashes}; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'")


def refusal(scope, error: UserError):
    request = Request(scope)
    return error_response(request, error.status_code, translator(request)(error.key, **error.params), error.key)


class SecurityMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        replaced = False

        async def send_with_headers(message):
            nonlocal replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if message["status"] == 413 and (b"content-type", b"text/plain; charset=utf-8") in headers:
                    # Starlette's own "Content Too Large" (a declared Content-Length over the route's
                    # max_body_size): the learner reads it in their language instead
                    replaced = True
                    mb = round(scope.get(MAX_BODY_SIZE_SCOPE_KEY, DEFAULT_MAX_BODY) / (1024 * 1024))
                    response = refusal(scope, UserError("errors.body_too_large", 413, mb=mb))
                    return await response(scope, receive, send_with_safety_headers)
            await send_with_safety_headers(message)

        async def send_with_safety_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                message["headers"] = headers + [(k, v) for k, v in HEADERS if k not in names]
            await send(message)

        if scope["method"] not in SAFE_METHODS and not same_origin(dict(scope["headers"])):
            return await refusal(scope, UserError("errors.cross_site", 403))(scope, receive, send_with_safety_headers)
        client = scope.get("client")
        token = SUBMITTER_ADDRESS.set(client[0] if client else "")
        try:
            return await self.app(scope, receive, send_with_headers)
        finally:
            SUBMITTER_ADDRESS.reset(token)
