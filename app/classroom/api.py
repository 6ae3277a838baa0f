"""The classroom's JSON API (in OpenAPI under "classroom") and its Server-Sent Events stream.

Teacher: `Authorization: Bearer <teacher token>`. Student: the token from /join, as the cookie the
join sets or as a Bearer header. A student calling a teacher action gets 403.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPBearer
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from app.classroom import auth, presets, store, views
from app.classroom.codes import normalize_code
from app.classroom.hub import CLOSE, sse_frame
from app.classroom.service import MISS
from app.deps import SettingsDep
from app.web import UserError, translator

router = APIRouter(prefix="/api", tags=["classroom"])
# Shown in /docs ("Authorize"); the check itself is auth.require_teacher (a student's token → 403).
TeacherToken = Depends(HTTPBearer(auto_error=False, scheme_name="teacher token",
                                  description="PLAYGROUND_TEACHER_TOKEN, or the one `playground serve` printed"))
KEEPALIVE_S = 15


class ClassCreated(BaseModel):
    code: str = Field(description="the join code students type")
    join_url: str


NICKNAME_TYPED_MAX = 60  # longer is not a nickname (it would be cut to store.NICKNAME_MAX anyway)


class JoinRequest(BaseModel):
    nickname: str = Field(min_length=1, max_length=NICKNAME_TYPED_MAX, description="shown to the class; deleted when the class ends")


class Joined(BaseModel):
    student_token: str = Field(description="send as the pg_student cookie (set for you) or a Bearer header")
    nickname: str
    code: str


class PushRequest(BaseModel):
    lab: Literal["digits", "neuron", "descent", "train", "photos"] | None = None
    state: dict[str, Any] = Field(default_factory=dict, description="the lab's query-string state")
    url: str | None = Field(default=None, max_length=2000, description="or: a lab URL as the teacher has it open")
    note: str | None = Field(default=None, max_length=120, description="a line shown on every student's screen")


def service(request: Request):
    return request.app.state.classroom


# Each phone that follows a push costs the server ~4 ms (the lab page and a new event stream), all
# on one event loop: a hall of 300 spreads its page loads over ~5 s, a class of 30 over 0.5 s.
SPREAD_MS_PER_STUDENT = 17
SPREAD_MS_MAX = 8000


def publish_push(request: Request, klass, push: dict[str, Any]) -> dict[str, Any]:
    settings = request.app.state.settings
    connected = service(request).hub.subscribers(f"class:{klass.code}")
    push["spread_ms"] = min(SPREAD_MS_MAX, SPREAD_MS_PER_STUDENT * connected)
    store.set_push(settings.database_url_resolved, klass.id, push, presets.digit_target(push))
    service(request).remember_class(klass.code, True, json.dumps(push, ensure_ascii=False))
    service(request).hub.publish_threadsafe(f"class:{klass.code}", "push", push)
    service(request).hub.publish_threadsafe(f"teacher:{klass.code}", "pushed", push)
    return push


def make_push(body: PushRequest, note: dict[str, str] | None = None, paths: dict[str, str] | None = None) -> dict[str, Any]:
    """`paths`: the installed labs (service(request).lab_paths)."""
    note = note or ({"zh-TW": body.note, "en": body.note} if body.note else None)
    try:
        if body.url:
            return presets.push_from_url(body.url, note, paths)
        if body.lab is None:
            raise presets.BadPush("classroom.bad_lab")
        return presets.build_push(body.lab, body.state, note, paths)
    except presets.BadPush as e:
        raise UserError(e.key) from None


def join(request: Request, settings, code: str, nickname: str) -> tuple[str, store.StudentRef]:
    """Shared by the API and the join page: rate limited per browser, so codes cannot be tried in bulk."""
    svc = service(request)
    address = request.client.host if request.client else "?"
    wait = max(svc.join_limiter.take(f"{address}|{request.scope.get('browser_id', '')}"), svc.join_ip_limiter.take(address))
    if wait > 0:
        raise UserError("classroom.rate_limited", 429, seconds=max(1, round(wait + 0.49)))
    nickname = store.clean_nickname(nickname) if len(nickname) <= NICKNAME_TYPED_MAX else ""
    if not nickname:
        raise UserError("classroom.bad_nickname")
    try:
        joined = store.join_class(settings.database_url_resolved, normalize_code(code), nickname,
                                  browser_id=request.scope.get("browser_id", ""))
    except store.ClassFull:
        raise UserError("classroom.class_full", 409) from None
    if joined is None:
        raise UserError("classroom.no_such_class", 404)
    token, ref = joined
    svc.remember(token, ref)
    svc.roll_changed(ref.code)
    return token, ref


@router.post("/classes", response_model=ClassCreated, status_code=201, summary="Open a class (teacher)",
              dependencies=[TeacherToken])
def create_class(request: Request, settings: SettingsDep):
    auth.require_teacher(request, settings)
    code = store.create_class(settings.database_url_resolved)
    return {"code": code, "join_url": auth.join_url(request, settings, code)[0]}


@router.post("/classes/{code}/join", response_model=Joined, summary="Join a class with a nickname")
def join_class(code: str, body: JoinRequest, request: Request, response: Response, settings: SettingsDep):
    token, ref = join(request, settings, code, body.nickname)
    auth.set_student_cookies(response, token, ref.code)
    return {"student_token": token, "nickname": ref.nickname, "code": ref.code}


@router.get("/classes/{code}", summary="A class: its students and its latest push (teacher)",
             dependencies=[TeacherToken])
def get_class(code: str, request: Request, settings: SettingsDep):
    auth.require_teacher(request, settings)
    klass = auth.require_class(settings, code)
    return {
        "code": klass.code, "created_at": klass.created_at, "join_url": auth.join_url(request, settings, klass.code)[0],
        "students": store.students(settings.database_url_resolved, klass.id),
        "connected": service(request).hub.subscribers(f"class:{klass.code}"),
        "last_push": json.loads(klass.last_push) if klass.last_push else None,
    }


@router.post("/classes/{code}/push", summary="Send every student to a lab with a preset state (teacher)",
              dependencies=[TeacherToken])
def push(code: str, body: PushRequest, request: Request, settings: SettingsDep):
    auth.require_teacher(request, settings)
    klass = auth.require_class(settings, code)
    return publish_push(request, klass, make_push(body, paths=service(request).lab_paths))


@router.delete("/classes/{code}", summary="End a class: deletes its nicknames and results (teacher)",
               dependencies=[TeacherToken])
async def end_class(code: str, request: Request, settings: SettingsDep):
    await run_in_threadpool(auth.require_teacher, request, settings)
    klass = await run_in_threadpool(auth.require_class, settings, code)
    await run_in_threadpool(store.end_class, settings.database_url_resolved, klass.id)
    service(request).ended(klass.code)
    return {"ended": klass.code}


@router.delete("/classes/{code}/students/{student_id}", summary="Remove a student and their results (teacher)",
               dependencies=[TeacherToken])
async def remove_student(code: str, student_id: int, request: Request, settings: SettingsDep):
    await run_in_threadpool(auth.require_teacher, request, settings)
    klass = await run_in_threadpool(auth.require_class, settings, code)
    if not await run_in_threadpool(store.remove_student, settings.database_url_resolved, klass.id, student_id):
        raise UserError("classroom.no_such_student", 404)
    service(request).removed(klass.code, student_id)
    return {"removed": student_id}


@router.get("/classes/{code}/views/{lab}", summary="A live class view as data (teacher)",
             dependencies=[TeacherToken])
def class_view(code: str, lab: Literal["digits", "descent", "train", "photos"], request: Request, settings: SettingsDep):
    auth.require_teacher(request, settings)
    klass = auth.require_class(settings, code)
    return views.VIEWS[lab](settings.database_url_resolved, klass)


@router.get("/classroom/me", summary="The class this browser has joined")
def me(request: Request, settings: SettingsDep):
    ref = service(request).student(auth.student_token(request))
    if ref is None:
        raise UserError("classroom.not_joined", 404)
    return {"code": ref.code, "nickname": ref.nickname, "text": student_texts(request, ref)}


def student_texts(request: Request, ref: store.StudentRef) -> dict[str, str]:
    """What classroom.js shows, in the learner's language (it sets them as text, never as HTML)."""
    _ = translator(request)
    return {"badge": _("classroom.badge", code=ref.code, nickname=ref.nickname), "leave": _("classroom.leave"),
            "ended": _("classroom.ended_toast"), "removed": _("classroom.removed_toast"), "left": _("classroom.left_toast"),
            "opening": _("classroom.opening"), "dismiss": _("classroom.dismiss")}


def leave_class(request: Request) -> bool:
    """The student leaves: their nickname and results are deleted now, not at the end of the class."""
    svc = service(request)
    ref = svc.student(auth.student_token(request))
    if ref is None:
        return False
    store.remove_student(request.app.state.settings.database_url_resolved, ref.class_id, ref.id)
    svc.forget(lambda r: r.id == ref.id)
    svc.roll_changed(ref.code)
    return True


@router.post("/classroom/leave", summary="Leave the class: deletes this student's nickname and results, forgets the cookies")
def leave(request: Request, response: Response):
    left = leave_class(request)
    auth.clear_student_cookies(response)
    return {"left": left}


@router.get("/classes/{code}/events", summary="Server-Sent Events: pushes for students, live updates for the teacher",
            response_class=StreamingResponse)
async def events(code: str, request: Request, settings: SettingsDep):
    """Events: `hello` (who you are; for a student also the badge's texts), `push` (a lab URL to
    open; the latest one is sent on connecting), `end`, `removed`; for the teacher `students`,
    `results` (which live views changed), `pushed`. A comment line every 15 s keeps proxies open."""
    svc = service(request)
    code = normalize_code(code)
    if auth.is_teacher(request, settings):
        ref, channels = None, [f"teacher:{code}"]
    else:
        ref = svc.cached_student(auth.student_token(request))
        if ref is MISS:
            ref = await run_in_threadpool(svc.student, auth.student_token(request))
        if ref is None or ref.code != code:
            await run_in_threadpool(auth.require_class, settings, code)  # 404 when the class is gone
            raise UserError("classroom.not_joined", 403)
        channels = [f"class:{code}", f"student:{ref.id}"]
    # Subscribe first, then read the latest push: a push sent in between is not lost.
    queue = svc.hub.attach(*channels)
    try:
        known = svc.cached_class(code)
        if known is MISS:
            klass = await run_in_threadpool(store.get_class, settings.database_url_resolved, code)
            known = (klass is not None, klass.last_push if klass else None)
            svc.remember_class(code, *known)
        exists, last_push = known
        if not exists:
            raise UserError("classroom.no_such_class", 404)
    except BaseException:
        svc.hub.detach(queue, *channels)
        raise
    if ref is None:
        first = sse_frame("hello", {"role": "teacher", "code": code})
    else:
        first = sse_frame("hello", {"role": "student", "code": code, "nickname": ref.nickname, "text": student_texts(request, ref)})
        if last_push:  # a late joiner (or a page just opened) follows the latest push at once
            first += sse_frame("push", json.loads(last_push))

    async def stream():
        try:
            yield first + b"retry: 3000\n\n"
            while True:
                try:
                    frame = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except asyncio.TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                if frame == CLOSE:
                    return
                yield frame
                if frame.startswith((b"event: end\n", b"event: removed\n")):
                    return
        finally:
            svc.hub.detach(queue, *channels)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
