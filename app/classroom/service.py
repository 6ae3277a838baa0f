"""The classroom inside one web process: the hub, the rate limits, and the recorder that files
the students' lab results into the database in batches.

The result listener (called by every lab, app/events.py) only appends to a queue: it costs a
learner's request a few microseconds. Twice a second a background task files the queue in one
transaction, in a worker thread, and tells each projector once which of its views changed — so
300 phones predicting every 2 s make 2 writes and at most 1 projector refresh per second.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from typing import Any

from sqlalchemy import insert, select, update
from starlette.concurrency import run_in_threadpool

from app.classroom import store
from app.classroom.codes import token_hash
from app.classroom.hub import Hub, RedisBridge
from app.classroom.ratelimit import STUDENT_COOKIE, RateLimiter
from app.classroom.recorder import RECORDED_LABS, compact, describe_job
from app.classroom.tables import ClassResult, ClassSession
from app.db import session_scope
from app.settings import Settings

log = logging.getLogger(__name__)
FLUSH_EVERY_S = 0.5
NOTIFY_EVERY_S = 1.0
EXPIRE_EVERY_S = 600
CACHE_TTL_S = 30
CLASS_TTL_S = 2
MISS = object()  # "not in the cache": ask the database
KEEP_RESULTS = 3000  # per class and lab
PER_BATCH = 5


class ClassroomService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lab_paths: dict[str, str] | None = None  # the labs a teacher may push (install())
        self.url = settings.database_url_resolved
        self.hub = Hub()
        self.pending: deque[tuple[str, str, dict[str, Any], float]] = deque(maxlen=50_000)
        # Limits: every request of a student (middleware), joins per browser.
        self.request_limiter = RateLimiter(rate=10, burst=60)  # a drawing predicts ≤ 7/s; sliders come in bursts
        self.join_limiter = RateLimiter(rate=10 / 60, burst=10)  # per browser
        self.join_ip_limiter = RateLimiter(rate=5, burst=400)  # per address: a hall behind one NAT still joins
        self.teacher_limiter = RateLimiter(rate=10 / 60, burst=10)  # wrong teacher tokens, per address
        self._students: dict[str, tuple[float, store.StudentRef | None]] = {}
        self._task: asyncio.Task | None = None
        self._bridge = None
        self._classes: dict[str, tuple[float, bool, str | None]] = {}
        self._roll_changed: set[str] = set()  # classes whose list of students changed (joins, leaves)
        self._last_expiry = 0.0
        self._last_prune = 0.0

    # -- the listener -----------------------------------------------------------------------
    def listener(self, request, lab: str, payload: dict[str, Any]) -> None:
        token = request.cookies.get(STUDENT_COOKIE)
        if token and lab in RECORDED_LABS and isinstance(payload, dict):
            self.pending.append((token_hash(token), lab, payload, time.time()))

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        self.hub.bind(asyncio.get_running_loop())
        queue_url = self.settings.queue_url or ""
        if queue_url.startswith(("redis://", "rediss://")):  # several web processes: share pushes via Redis
            try:
                self._bridge = RedisBridge(self.hub, queue_url)
                await self._bridge.start()
            except Exception:
                log.exception("classroom: cannot reach Redis at start-up; pushes stay within this process")
                self._bridge = None
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._bridge is not None:
            await self._bridge.stop()
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    async def _run(self) -> None:
        unannounced: dict[str, set[str]] = {}
        last_notice = 0.0
        while True:
            await asyncio.sleep(FLUSH_EVERY_S)
            try:
                for code, labs in (await run_in_threadpool(self.flush)).items():
                    unannounced.setdefault(code, set()).update(labs)
                if (unannounced or self._roll_changed) and time.monotonic() - last_notice >= NOTIFY_EVERY_S:
                    last_notice = time.monotonic()  # a projector reloads a view at most this often
                    for code, labs in unannounced.items():
                        self.hub.publish(f"teacher:{code}", "results", {"labs": sorted(labs)})
                    unannounced = {}
                    while self._roll_changed:
                        self.hub.publish(f"teacher:{self._roll_changed.pop()}", "students", {})
                if time.time() - self._last_expiry > EXPIRE_EVERY_S:
                    self._last_expiry = time.time()
                    for code in await run_in_threadpool(self.expire_idle):
                        self.ended(code)
            except Exception:
                log.exception("classroom recorder failed; will retry")

    def expire_idle(self, now: float | None = None) -> list[str]:
        """Ends (deletes) every class idle for 24 hours; returns their codes (worker thread)."""
        codes = []
        for class_id, code in store.expired_classes(self.url, now):
            store.end_class(self.url, class_id)
            codes.append(code)
        return codes

    # -- after a change, from the event loop ------------------------------------------------
    def ended(self, code: str) -> None:
        """Tell everyone in the class (and the projector) that it is over; forget its students."""
        self.remember_class(code, False, None)
        self.hub.publish(f"class:{code}", "end", {"code": code})
        self.hub.publish(f"teacher:{code}", "end", {"code": code})
        self.forget(lambda ref: ref.code == code)

    def removed(self, code: str, student_id: int) -> None:
        self.hub.publish(f"student:{student_id}", "removed", {"code": code})
        self.roll_changed(code)
        self.forget(lambda ref: ref.id == student_id)

    def roll_changed(self, code: str) -> None:
        """A student joined or left: the projector hears it once a second at most (a hall joins at once)."""
        self._roll_changed.add(code)

    def forget(self, which) -> None:
        for h, (_t, ref) in list(self._students.items()):
            if ref is not None and which(ref):
                self._students.pop(h, None)

    def remember(self, token: str, ref: store.StudentRef) -> None:
        self._students[token_hash(token)] = (time.time(), ref)

    def cached_student(self, token: str | None):
        """The student from the cache alone (no query: for the event loop), or MISS."""
        if not token:
            return None
        cached = self._students.get(token_hash(token))
        return cached[1] if cached and time.time() - cached[0] < CACHE_TTL_S else MISS

    def cached_class(self, code: str):
        """(exists, latest push as JSON) from the last CLASS_TTL_S, or MISS. A hall reconnecting after
        a push (300 page loads) costs no query each; this process's pushes and ends update it."""
        cached = self._classes.get(code)
        return cached[1:] if cached and time.time() - cached[0] < CLASS_TTL_S else MISS

    def remember_class(self, code: str, exists: bool, last_push: str | None) -> None:
        self._classes[code] = (time.time(), exists, last_push)
        if len(self._classes) > 1000:
            self._classes.clear()

    def student(self, token: str | None) -> store.StudentRef | None:
        """The student a cookie belongs to (cached for a few seconds; called from threads)."""
        if not token:
            return None
        return self._resolve([token_hash(token)]).get(token_hash(token))

    def _resolve(self, hashes: list[str]) -> dict[str, store.StudentRef | None]:
        now = time.time()
        out, missing = {}, []
        for h in set(hashes):
            cached = self._students.get(h)
            if cached and now - cached[0] < CACHE_TTL_S:
                out[h] = cached[1]
            else:
                missing.append(h)
        found = store.student_by_hash(self.url, missing)
        for h in missing:
            self._students[h] = (now, found.get(h))
            out[h] = found.get(h)
        if len(self._students) > 20_000:
            self._students.clear()
        return out

    # -- the recorder (worker thread) -------------------------------------------------------
    def flush(self) -> dict[str, set[str]]:
        """Files the queued results; returns {class code: labs that changed}."""
        batch = []
        while self.pending and len(batch) < 5000:
            batch.append(self.pending.popleft())
        if not batch:
            return {}
        refs = self._resolve([h for h, *_ in batch])
        # Per student and lab, only the latest results of a batch: one digit drawing (the lab answers
        # while the learner draws; only the finished drawing matters), up to PER_BATCH others. This
        # caps what one student can write, whatever they send.
        kept_items: dict[tuple[str, str], list] = {}
        for item in batch:
            group = kept_items.setdefault((item[0], item[1]), [])
            group.append(item)
            if len(group) > (1 if item[1] == "digits" else PER_BATCH):
                group.pop(0)
        rows, changed = [], {}
        for h, lab, payload, at in (item for group in kept_items.values() for item in group):
            ref = refs.get(h)
            if ref is None:
                continue  # not in a class (any more)
            try:
                kept = compact(lab, payload)
            except Exception:
                log.exception("could not keep a %s result", lab)
                continue
            if kept is not None and lab == "train" and kept.get("job") and not kept.get("design"):
                try:
                    kept.update({k: v for k, v in describe_job(self.url, kept["job"]).items() if v is not None})
                except Exception:
                    log.exception("could not describe training job %s", kept["job"])
            if kept is not None:
                rows.append((ref, lab, kept, at))
        if not rows:
            return {}
        now = time.time()
        with session_scope(self.url) as s:
            class_ids = {ref.class_id for ref, *_ in rows}
            live = dict(s.execute(select(ClassSession.id, ClassSession.digit_target).where(ClassSession.id.in_(class_ids))).all())
            inserts = []
            for ref, lab, kept, at in rows:
                if ref.class_id not in live:
                    continue  # ended meanwhile (maybe by another process)
                if lab == "digits":
                    kept.setdefault("target", live[ref.class_id])  # the digit the class was asked for
                inserts.append({"class_id": ref.class_id, "student_id": ref.id, "lab": lab,
                                "payload": json.dumps(kept, separators=(",", ":")), "created_at": at})
                changed.setdefault(ref.code, set()).add(lab)
            if inserts:
                s.execute(insert(ClassResult), inserts)  # one executemany, not one ORM object each
            s.execute(update(ClassSession).where(ClassSession.id.in_(class_ids & set(live))).values(last_active_at=now))
        if now - self._last_prune > 30:
            self._last_prune = now
            for class_id in class_ids:
                for lab in RECORDED_LABS:  # the views show the latest; older results are not needed
                    store.prune_results(self.url, class_id, lab, KEEP_RESULTS)
        return changed
