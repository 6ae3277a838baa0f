"""Classroom mode: a teacher opens a class, 300 phones join with a code, the teacher pushes a lab
to every screen, and the projector shows the class's results live.

    codes.py      join codes and tokens          tables.py   classes, students, results
    store.py      database functions             hub.py      in-process pub/sub for SSE
    ratelimit.py  per-student limits (429)       recorder.py what is kept of a lab result
    service.py    the per-process service: listener, batched recorder, expiry
    views.py      the projector's live views     presets.py  what the teacher can push
The routes are in app/labs/classroom.py; the browser side in static/js/classroom.js.

Running a class:
  1. `playground serve --host 0.0.0.0` prints the teacher's link (/classroom?token=…; set
     PLAYGROUND_TEACHER_TOKEN to keep one token across restarts) and the LAN address.
  2. The teacher opens the link on the projector's laptop and clicks "open a new class": the
     projector shows the join code, the LAN join URL and its QR code.
  3. Students scan the QR code (or open /join and type the code) and pick a nickname.
  4. The teacher sends a preset ("everyone: draw a 7") or pastes any lab URL: every phone opens it.
     The tabs under "the class's results" show the wall of drawings, the learning rates and the
     leaderboard live.
  5. "End the class" deletes the nicknames and everything recorded; so does 24 hours of quiet.

Scale: one process serves a hall of 300 (bench/classroom.py); for several processes or
machines, set PLAYGROUND_QUEUE_URL=redis://… and pushes travel through Redis (hub.py).
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request


def install(app: FastAPI, lab_paths: dict[str, str] | None = None) -> None:
    """Called once by create_app(): the service, its result listener, its rate-limit middleware,
    and its start/stop around the app's own lifespan. `lab_paths`: slug → path of the installed
    labs (what a teacher may push; None: every lab the presets know)."""
    from app.classroom.ratelimit import StudentRateLimitMiddleware
    from app.classroom.service import ClassroomService

    service = ClassroomService(app.state.settings)
    service.lab_paths = lab_paths
    app.state.classroom = service
    app.state.result_listeners.append(service.listener)
    app.add_middleware(StudentRateLimitMiddleware, limiter=service.request_limiter)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a):
        async with inner(a) as state:
            await service.start()
            try:
                yield state
            finally:
                await service.stop()

    app.router.lifespan_context = lifespan


def get_service(request: Request):
    return request.app.state.classroom
