"""What every page shares: templates, the learner's language and display preferences, errors.

A lab renders with `render(request, "neuron.html", {...})`; it raises `UserError("key")` for a
mistake the learner can fix. Errors come back in the learner's language as a JSON body under
/api, as an error fragment to an htmx request, and as a full page otherwise — always with the
right status code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY

from app.errors import UserError  # noqa: F401  (importable from here too, as before)
from app.i18n import Translator, catalogue, negotiate
from app.openapi import allowed_methods

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"
BROWSER_COOKIE = "pg_browser"
DEFAULT_RETRY_AFTER_S = 10  # a 429 that names no wait of its own
log = logging.getLogger("playground")


@lru_cache(maxsize=512)
def _file_hash(path: str, mtime_ns: int) -> str:
    return hashlib.sha1((STATIC_DIR / path).read_bytes()).hexdigest()[:10]


def static_url(path: str) -> str:
    """/static/<path>?v=<hash of its bytes>: a browser may keep it for a year (VersionedStatic),
    and a changed file gets a new address."""
    try:
        mtime = (STATIC_DIR / path).stat().st_mtime_ns
    except OSError:
        return f"/static/{path}"
    return f"/static/{path}?v={_file_hash(path, mtime)}"


class VersionedStatic(StaticFiles):
    """Static files; one asked for by its versioned address (?v=…) is cached as immutable, any
    other is revalidated (ETag) so that a teacher's edit shows on the next load."""

    async def get_response(self, path: str, scope):
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            versioned = b"v=" in scope.get("query_string", b"")
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if versioned else "no-cache"
        return response


@lru_cache
def templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(TEMPLATES_DIR))
    t.env.globals["static"] = static_url
    t.env.filters["tojson_compact"] = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    t.env.filters["num"] = format_number
    return t


def format_number(value: float, digits: int = 3) -> str:
    """Numbers as a learner reads them: 8, 0.731, −2.5 (a true minus sign), 1.2e+09."""
    if value is None:
        return ""
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == int(value) and abs(value) < 1e9:
        text = str(int(value))
    elif abs(value) >= 1e6 or abs(value) < 1e-4:
        text = f"{value:.{digits}g}"
    else:
        text = f"{round(value, digits):g}"
        if "e" in text:
            text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text.replace("-", "−")


def language(request: Request) -> str:
    return negotiate(request.cookies.get("lang"), request.headers.get("accept-language"))


def translator(request: Request) -> Translator:
    return Translator(language(request))


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def browser_id(request: Request) -> str:
    """An anonymous id for this browser (a cookie), so "my models" work without accounts."""
    return request.scope.get("browser_id") or request.cookies.get(BROWSER_COOKIE) or ""


async def run_limited(request: Request, name: str, fn, *args, threads: int = 1):
    """Run short CPU work (a prediction) off the event loop on its own few threads, not the shared
    pool of 40: fewer threads fighting over the GIL keeps the queue short and fair. With one
    thread, 50 clients flat out got 587 predictions/s at p99 98 ms instead of 410/s at 233 ms
    (bench/digits.py). One limiter per name, per app."""
    limiters = getattr(request.app.state, "limiters", None)
    if limiters is None:  # no await between the look and the set: one event loop, no race
        limiters = request.app.state.limiters = {}
    limiter = limiters.get(name)
    if limiter is None:
        limiter = limiters[name] = anyio.CapacityLimiter(threads)
    return await anyio.to_thread.run_sync(lambda: fn(*args), limiter=limiter)


def render(request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    _ = translator(request)
    ctx = {
        "request": request,
        "_": _,
        "lang": _.lang,
        "projector": request.cookies.get("projector") == "1",
        "htmx": is_htmx(request),
        "current_path": request.url.path,
        "current_url": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
    }
    ctx.update(context or {})
    response = templates().TemplateResponse(request, template, ctx, status_code=status_code)
    response.headers["Vary"] = "Cookie, Accept-Language, HX-Request"
    return response


def error_response(request: Request, status_code: int, message: str, code: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message, "code": code}, status_code=status_code)
    template = "partials/error.html" if is_htmx(request) else "error.html"
    return render(request, template, {"message": message, "code": code, "status_code": status_code}, status_code)


_PROBLEMS = {
    "missing": ("errors.missing", None),
    "float_parsing": ("errors.not_a_number", None),
    "float_type": ("errors.not_a_number", None),
    "finite_number": ("errors.not_finite", None),
    "int_parsing": ("errors.not_integer", None),
    "int_type": ("errors.not_integer", None),
    "int_from_float": ("errors.not_integer", None),
    "greater_than": ("errors.too_small", "gt"),
    "greater_than_equal": ("errors.too_small_eq", "ge"),
    "less_than": ("errors.too_large", "lt"),
    "less_than_equal": ("errors.too_large_eq", "le"),
    "too_short": ("errors.too_short", "min_length"),
    "too_long": ("errors.too_long", "max_length"),
    "string_too_short": ("errors.text_too_short", "min_length"),
    "string_too_long": ("errors.text_too_long", "max_length"),
    "bool_type": ("errors.not_text", None),
    "string_type": ("errors.not_text", None),
    "list_type": ("errors.not_text", None),
}


def describe_validation_error(error: dict, _: Translator) -> str:
    """One pydantic error in the learner's language: 「η」不能小於 0."""
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "form", "path", "cookie", "header")]
    field = ".".join(loc)
    field = _field_label(loc, _) if loc and f"fields.{loc[0]}" in _catalogue_keys() else field
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in ("literal_error", "enum"):
        problem = _("errors.choice", choices=ctx.get("expected", ""))
    elif kind == "value_error" and isinstance(ctx.get("error"), UserError):
        err = ctx["error"]
        problem = _(err.key, **err.params)
    elif kind in _PROBLEMS:
        key, limit = _PROBLEMS[kind]
        bound = ctx.get(limit, "")
        if isinstance(bound, (int, float)):
            bound = format_number(bound)  # "0", not "0.0"
        problem = _(key, limit=bound) if limit else _(key)
    else:
        problem = _("errors.bad_value")
    if not field:  # the whole request (an empty body, a check across fields): no name to put in front
        return _("errors.whole", problem=problem)
    return _("errors.field", field=field, problem=problem)


def _field_label(loc: list[str], _: Translator) -> str:
    """A field as the page labels it: x[0] is 「輸入 x₁」 where the locale has fields.x_item
    ("輸入 x{sub}"), otherwise 「神經元數（第 1 個）」; deeper parts are appended as they are."""
    name, rest = loc[0], loc[1:]
    label = _(f"fields.{name}")
    if rest and rest[0].isdigit():
        n = int(rest[0]) + 1
        item_key = f"fields.{name}_item"
        label = _(item_key, n=n, sub=_subscript(n)) if item_key in _catalogue_keys() else _("errors.item", field=label, n=n)
        rest = rest[1:]
    return label + "".join(f"[{part}]" for part in rest)


def _subscript(n: int) -> str:
    return "".join("₀₁₂₃₄₅₆₇₈₉"[int(d)] for d in str(n))


def _catalogue_keys():
    return catalogue()


def body_limit_mb(request: Request) -> int:
    """The body limit of the request's route, in MB (for the 413 of FastAPI's max_body_size)."""
    return round(request.scope.get(MAX_BODY_SIZE_SCOPE_KEY, 0) / (1024 * 1024))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError):
        response = error_response(request, exc.status_code, translator(request)(exc.key, **exc.params), exc.key)
        if exc.status_code == 429:  # every "too many" says when to come back
            response.headers["Retry-After"] = str(exc.params.get("seconds", DEFAULT_RETRY_AFTER_S))
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        _ = translator(request)
        details = _("errors.and").join(describe_validation_error(e, _) for e in exc.errors()[:5])
        return error_response(request, 422, _("errors.invalid", details=details), "invalid")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        _ = translator(request)
        key = {404: "errors.not_found", 405: "errors.method", 429: "errors.too_many_requests",
               413: "errors.body_too_large"}.get(exc.status_code)
        message = _(key, mb=body_limit_mb(request)) if key else str(exc.detail)
        response = error_response(request, exc.status_code, message, key or "http")
        response.headers.update(exc.headers or {})  # Allow on a 405, Retry-After on a 429
        if exc.status_code == 405:  # every method of the path, not only those of the first route that matched
            methods = set(response.headers.get("allow", "").replace(" ", "").split(",")) - {""}
            response.headers["Allow"] = ", ".join(sorted(methods | set(allowed_methods(request.app, request.url.path))))
        if exc.status_code == 429 and "retry-after" not in response.headers:
            response.headers["Retry-After"] = str(DEFAULT_RETRY_AFTER_S)
        return response

    @app.exception_handler(Exception)
    async def _server(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return error_response(request, 500, translator(request)("errors.server"), "server")


class BrowserIdMiddleware:
    """Gives each browser an anonymous id cookie (pure ASGI: no buffering of streams or SSE)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        cookies = Request(scope).cookies
        existing = cookies.get(BROWSER_COOKIE)
        if existing and len(existing) <= 64:
            scope["browser_id"] = existing
            return await self.app(scope, receive, send)
        new_id = secrets.token_urlsafe(16)
        scope["browser_id"] = new_id
        cookie = f"{BROWSER_COOKIE}={new_id}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly".encode()

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"set-cookie", cookie)]
            await send(message)

        return await self.app(scope, receive, send_with_cookie)
