"""Classroom mode's pages: the teacher's projector (join code, QR code, students, pushes, live
class views) and the students' join page. The JSON API and the event stream are in
app/classroom/api.py; the logic in app/classroom/.
"""

from __future__ import annotations

from typing import Literal

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.classroom import api, auth, presets, store, views
from app.deps import SettingsDep
from app.labs import Lab
from app.web import UserError, is_htmx, render, translator

LAB = Lab(slug="classroom", path="/join", title_key="classroom.join_title", summary_key="classroom.summary",
          steps=(), icon="🏫")
pages = APIRouter(include_in_schema=False)
ViewLab = Literal["digits", "descent", "train", "photos"]


def qr_svg(url: str) -> str:
    """The join URL as an inline SVG QR code (segno), black on white so phones read it on any theme."""
    return segno.make(url, error="m").svg_inline(scale=8, border=2, dark="#000", light="#fff", omitsize=True)


def redirect(url: str, request: Request) -> Response:
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


# -- teacher -------------------------------------------------------------------------------
@pages.get("/classroom", response_class=HTMLResponse)
def teacher_home(request: Request, settings: SettingsDep, token: str | None = None):
    if token and settings.teacher_token and auth.is_teacher_token(token, settings.teacher_token):
        response = RedirectResponse("/classroom", status_code=303)  # the token leaves the address bar
        auth.set_teacher_cookie(response, settings)
        return response
    if token:
        auth.wrong_token_tried(request)
    if not auth.is_teacher(request, settings):
        error = None
        if token or not settings.teacher_token:
            error = "classroom.wrong_token" if settings.teacher_token else "classroom.no_teacher_token"
        return render(request, "classroom_login.html", {"error": error}, status_code=403 if error else 200)
    return render(request, "classroom_teacher.html", {"classes": store.open_classes(settings.database_url_resolved)})


@pages.post("/classroom/login")
def teacher_login(request: Request, settings: SettingsDep, token: str = Form("", max_length=200)):
    if not settings.teacher_token or not auth.is_teacher_token(token.strip(), settings.teacher_token):
        auth.wrong_token_tried(request)
        error = "classroom.wrong_token" if settings.teacher_token else "classroom.no_teacher_token"
        return render(request, "classroom_login.html", {"error": error}, status_code=403)
    response = RedirectResponse("/classroom", status_code=303)
    auth.set_teacher_cookie(response, settings)
    return response


@pages.post("/classroom/new")
def teacher_new_class(request: Request, settings: SettingsDep):
    auth.require_teacher(request, settings)
    code = store.create_class(settings.database_url_resolved)
    return redirect(f"/classroom/{code}", request)


def _class_context(request: Request, settings, code: str) -> dict:
    auth.require_teacher(request, settings)
    klass = auth.require_class(settings, code)
    return {"klass": klass, "code": klass.code}


@pages.get("/classroom/{code}", response_class=HTMLResponse)
def projector(code: str, request: Request, settings: SettingsDep, view: ViewLab = "digits"):
    ctx = _class_context(request, settings, code)
    url, reachable = auth.join_url(request, settings, ctx["code"])
    ctx.update(join_url=url, join_base=url.split("/join")[0] + "/join", lan_reachable=reachable, qr=qr_svg(url),
               presets=presets.available_presets(request.app.state.classroom.lab_paths), view=view, students=store.students(settings.database_url_resolved, ctx["klass"].id),
               connected=request.app.state.classroom.hub.subscribers(f"class:{ctx['code']}"),
               data=views.VIEWS[view](settings.database_url_resolved, ctx["klass"]), pushed=None)
    return render(request, "classroom_projector.html", ctx)


@pages.get("/classroom/{code}/students", response_class=HTMLResponse)
def students_fragment(code: str, request: Request, settings: SettingsDep):
    ctx = _class_context(request, settings, code)
    ctx.update(students=store.students(settings.database_url_resolved, ctx["klass"].id),
               connected=request.app.state.classroom.hub.subscribers(f"class:{ctx['code']}"))
    return render(request, "partials/classroom_students.html", ctx)


@pages.post("/classroom/{code}/students/{student_id}/remove", response_class=HTMLResponse)
async def remove_fragment(code: str, student_id: int, request: Request, settings: SettingsDep):
    ctx = await run_in_threadpool(_class_context, request, settings, code)
    await run_in_threadpool(store.remove_student, settings.database_url_resolved, ctx["klass"].id, student_id)
    request.app.state.classroom.removed(ctx["code"], student_id)
    return await run_in_threadpool(students_fragment, code, request, settings)


@pages.get("/classroom/{code}/view/{lab}", response_class=HTMLResponse)
def view_fragment(code: str, lab: ViewLab, request: Request, settings: SettingsDep):
    ctx = _class_context(request, settings, code)
    ctx.update(view=lab, data=views.VIEWS[lab](settings.database_url_resolved, ctx["klass"]))
    return render(request, "partials/classroom_view.html", ctx)


@pages.post("/classroom/{code}/push", response_class=HTMLResponse)
def push_fragment(code: str, request: Request, settings: SettingsDep,
                  preset: str = Form("", max_length=60), url: str = Form("", max_length=2000)):
    ctx = _class_context(request, settings, code)
    chosen = next((p for p in presets.PRESETS if p.id == preset), None)
    body = api.PushRequest(url=url) if url.strip() else api.PushRequest(lab=chosen.lab, state=chosen.state) if chosen else None
    if body is None:
        raise UserError("classroom.bad_lab")
    note = presets.preset_note(chosen) if chosen and not url.strip() else None
    push = api.publish_push(request, ctx["klass"], api.make_push(body, note, request.app.state.classroom.lab_paths))
    ctx.update(pushed=push, connected=request.app.state.classroom.hub.subscribers(f"class:{ctx['code']}"))
    return render(request, "partials/classroom_pushed.html", ctx)


@pages.post("/classroom/{code}/end")
async def end_class(code: str, request: Request, settings: SettingsDep):
    ctx = await run_in_threadpool(_class_context, request, settings, code)
    await run_in_threadpool(store.end_class, settings.database_url_resolved, ctx["klass"].id)
    request.app.state.classroom.ended(ctx["code"])
    return redirect("/classroom", request)


# -- students ------------------------------------------------------------------------------
@pages.get("/join", response_class=HTMLResponse)
def join_page(request: Request, code: str = "", nickname: str = ""):
    return render(request, "classroom_join.html", {"code": code[:16], "nickname": nickname[:60], "error": None})


@pages.post("/join", response_class=HTMLResponse)
def join_submit(request: Request, settings: SettingsDep, code: str = Form("", max_length=40),
                nickname: str = Form("", max_length=4000)):  # api.join() says what a nickname may be
    try:
        token, ref = api.join(request, settings, code, nickname)
    except UserError as e:
        message = translator(request)(e.key, **e.params)
        page = render(request, "classroom_join.html", {"code": code, "nickname": nickname, "error": message},
                      status_code=e.status_code)
        if e.status_code == 429:
            page.headers["Retry-After"] = str(e.params.get("seconds", 1))
        return page
    response = RedirectResponse("/classroom-here", status_code=303)
    auth.set_student_cookies(response, token, ref.code)
    return response


@pages.get("/classroom-here", response_class=HTMLResponse)
def student_here(request: Request):
    ref = request.app.state.classroom.student(auth.student_token(request))
    if ref is None:
        return RedirectResponse("/join", status_code=303)
    return render(request, "classroom_here.html", {"ref": ref})


@pages.post("/leave")
def leave_page(request: Request):
    api.leave_class(request)
    response = RedirectResponse("/", status_code=303)
    auth.clear_student_cookies(response)
    return response


router = APIRouter()  # the JSON API in OpenAPI, the pages not
router.include_router(api.router)
router.include_router(pages)
