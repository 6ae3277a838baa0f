"""Who is asking: the teacher (the token as a Bearer header, or the cookie the teacher page sets)
or a student (the cookie set when they joined, or their token as a Bearer header)."""

from __future__ import annotations

import functools
import time

from fastapi import Request, Response

from app.classroom import store
from app.classroom.codes import is_teacher_cookie, is_teacher_token, normalize_code, teacher_cookie_value
from app.classroom.ratelimit import STUDENT_COOKIE
from app.classroom.tables import ClassSession
from app.errors import UserError
from app.lan import lan_addresses
from app.settings import Settings

TEACHER_COOKIE = "pg_teacher"
CLASS_COOKIE = "pg_class"  # readable by classroom.js: "this browser is in class <code>"
STUDENT_MAX_AGE = 24 * 3600


def bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def is_teacher(request: Request, settings: Settings) -> bool:
    return is_teacher_token(bearer(request), settings.teacher_token) or \
        is_teacher_cookie(request.cookies.get(TEACHER_COOKIE), settings.teacher_token)


def require_teacher(request: Request, settings: Settings) -> None:
    if not settings.teacher_token:
        raise UserError("classroom.no_teacher_token", 403)
    if not is_teacher(request, settings):
        if bearer(request) or request.cookies.get(TEACHER_COOKIE):
            wrong_token_tried(request)  # guessing a teacher token is slowed down per address
        raise UserError("classroom.teacher_only", 403)


def wrong_token_tried(request: Request) -> None:
    wait = request.app.state.classroom.teacher_limiter.take(request.client.host if request.client else "?")
    if wait > 0:
        raise UserError("classroom.rate_limited", 429, seconds=max(1, round(wait + 0.49)))


def require_class(settings: Settings, code: str) -> ClassSession:
    klass = store.get_class(settings.database_url_resolved, normalize_code(code))
    if klass is None:
        raise UserError("classroom.no_such_class", 404)
    return klass


def student_token(request: Request) -> str | None:
    return request.cookies.get(STUDENT_COOKIE) or bearer(request)


def set_teacher_cookie(response: Response, settings: Settings) -> None:
    response.set_cookie(TEACHER_COOKIE, teacher_cookie_value(settings.teacher_token or ""), max_age=7 * 24 * 3600,
                        httponly=True, samesite="strict")


def set_student_cookies(response: Response, token: str, code: str) -> None:
    response.set_cookie(STUDENT_COOKIE, token, max_age=STUDENT_MAX_AGE, httponly=True, samesite="lax")
    response.set_cookie(CLASS_COOKIE, code, max_age=STUDENT_MAX_AGE, httponly=False, samesite="lax")


def clear_student_cookies(response: Response) -> None:
    response.delete_cookie(STUDENT_COOKIE, samesite="lax")
    response.delete_cookie(CLASS_COOKIE, samesite="lax")


@functools.lru_cache(maxsize=1)
def _lan_addresses(_minute: int) -> tuple[str, ...]:
    return tuple(lan_addresses())


def join_url(request: Request, settings: Settings, code: str) -> tuple[str, bool]:
    """The address students type or scan, and whether phones on the LAN can reach it."""
    host = request.url.hostname or ""
    if host not in ("localhost", "127.0.0.1", "::1", "testserver"):
        base, reachable = f"{request.url.scheme}://{request.url.netloc}", True
    elif settings.host in ("0.0.0.0", "::") and _lan_addresses(int(time.time() // 60)):
        base, reachable = f"http://{_lan_addresses(int(time.time() // 60))[0]}:{settings.port}", True
    else:
        base, reachable = f"{request.url.scheme}://{request.url.netloc}", False
    return f"{base}/join?code={code}", reachable
