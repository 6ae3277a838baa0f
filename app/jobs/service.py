"""What the web side does with jobs: submit, look at, cancel, recover, and list finished ones.

(Files kept with a job — checkpoints, trained models — are in app/jobs/files.py; their functions
are importable from here too.)

    job_id = submit_job(settings, "train", params, owner=browser_id)   # limits checked, then enqueued
    view = job_view(settings, job_id)                                  # a plain dict, the API's answer
    cancel_job(settings, job_id, owner)
    reap_stale(settings)            # workers call this every few seconds; the API for one job too
    finished_jobs(settings, kind="train")   # for a classroom leaderboard (see its docstring)

No Keras here: the web process never imports it.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, func, select, text, update

from app.db import session_scope
from app.jobs.files import delete_file, ensure_user_model, load_file, owner_models, save_file  # noqa: F401
from app.jobs.kinds import KINDS
from app.jobs.models import ACTIVE, Job, WorkerRow, utcnow
from app.settings import Settings
from app.web import UserError

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3  # a job whose worker died this many times fails instead of trying again
TIMEOUT_GRACE_S = 60  # the worker stops a job at the timeout itself; the reaper only backs it up


def _aware(t: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; every time we store is UTC."""
    if t is None:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def new_job_id() -> str:
    return uuid.uuid4().hex[:12]


def submit_job(settings: Settings, kind: str, params: dict[str, Any], owner: str) -> str:
    """Record a job and wake a worker. Raises UserError 429 when this browser has too many."""
    from app.jobs.queue import enqueue

    if kind not in KINDS:
        raise UserError("jobs.unknown_kind", 422, kind=kind)
    url = settings.database_url_resolved
    with session_scope(url) as s:
        if owner and s.get_bind().dialect.name == "postgresql":  # one submit per browser at a time
            s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:owner))"), {"owner": owner})
        job = Job(id=new_job_id(), kind=kind, params=params, owner=owner, status="queued",
                  created=utcnow(), enqueued=utcnow(), progress={"stage": "queued"})
        s.add(job)
        s.flush()  # SQLite: this write holds the database's write lock until the commit
        job_id = job.id
        active = s.scalar(select(func.count()).select_from(Job).where(Job.owner == owner, Job.status.in_(ACTIVE)))
        if owner and active > settings.max_jobs_per_browser:  # mine included
            raise UserError("jobs.too_many", 429, limit=settings.max_jobs_per_browser)  # rolled back
    try:
        enqueue(settings, job_id)
    except Exception as exc:  # the queue (Redis) is down: say so instead of waiting forever
        log.exception("could not enqueue job %s", job_id)
        _finish(settings, job_id, "failed", error="jobs.error_queue")
        raise UserError("jobs.queue_down", 503) from exc
    return job_id


def get_job(settings: Settings, job_id: str) -> Job | None:
    if not job_id or len(job_id) > 32:
        return None
    with session_scope(settings.database_url_resolved) as s:
        return s.get(Job, job_id)


def queue_position(settings: Settings, job: Job) -> int | None:
    """1 = the next job a worker takes (all kinds share one queue, oldest first)."""
    if job.status != "queued":
        return None
    with session_scope(settings.database_url_resolved) as s:
        ahead = s.scalar(select(func.count()).select_from(Job).where(Job.status == "queued", Job.created < job.created))
    return int(ahead) + 1


def eta_seconds(job: Job) -> float | None:
    """Time left, from the pace so far: elapsed / epochs done × epochs left."""
    p = job.progress or {}
    done, epochs, since = p.get("x"), p.get("epochs"), p.get("train_started")
    if job.status != "running" or not done or not epochs or not since:
        return None
    elapsed = utcnow().timestamp() - float(since)
    return max(0.0, elapsed / done * (epochs - done))


def job_view(settings: Settings, job: Job, translate=None) -> dict[str, Any]:
    """The generic JSON answer of GET /api/jobs/{id}; `translate(key, **params)` fills error messages."""
    p = job.progress or {}
    result = job.result or {}
    error_message = None
    if job.error:
        error_message = translate(job.error, **(p.get("error_params") or {})) if translate else job.error
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "stage": p.get("stage"),
        "epoch": int(p.get("epoch", 0)),
        "epochs": p.get("epochs") or (job.params or {}).get("epochs"),
        "history": p.get("history", []),
        "batches": p.get("batches", []),
        "samples": p.get("samples", []),  # what the model wrote after each epoch (text jobs: app/ml/text.py)
        "test_accuracy": result.get("test_accuracy") if job.status == "succeeded" else None,
        "error": error_message,
        "error_code": job.error,
        "queue_position": queue_position(settings, job),
        "eta_s": eta_seconds(job),
        "worker": job.worker,
        "device": job.device,
        "backend": job.backend,
        "attempts": job.attempts,
        "created": _aware(job.created).isoformat() if job.created else None,
        "started": _aware(job.started).isoformat() if job.started else None,
        "finished": _aware(job.finished).isoformat() if job.finished else None,
        "params": job.params,
        "result": result or None,
    }


def cancel_job(settings: Settings, job_id: str, owner: str) -> Job:
    """A queued job is cancelled at once; a running one stops at its next batch."""
    url = settings.database_url_resolved
    with session_scope(url) as s:
        job = s.get(Job, job_id)
        if job is None:
            raise UserError("jobs.not_found", 404)
        if job.owner and owner != job.owner:
            raise UserError("jobs.not_yours", 403)
        s.execute(update(Job).where(Job.id == job_id, Job.status == "queued")
                  .values(status="cancelled", finished=utcnow(), cancel_requested=True))
        s.execute(update(Job).where(Job.id == job_id, Job.status == "running").values(cancel_requested=True))
    return get_job(settings, job_id)


def _finish(settings: Settings, job_id: str, status: str, error: str | None = None) -> None:
    with session_scope(settings.database_url_resolved) as s:
        s.execute(update(Job).where(Job.id == job_id).values(status=status, error=error, finished=utcnow()))


def reap_stale(settings: Settings, job_id: str | None = None) -> list[str]:
    """Crash recovery; safe to run from every worker and the web at once (conditional updates).

    - running, heartbeat older than heartbeat_timeout_s: its worker died (kill -9, power, OOM) →
      back to queued and a new wake-up, so the next worker resumes it from its last checkpoint;
      after MAX_ATTEMPTS tries → failed "the worker stopped".
    - running longer than job_timeout_s (+ grace): failed "timeout".
    - queued with no wake-up for heartbeat_timeout_s: the message may have died with a worker
      that took it → send another (a duplicate is harmless: claiming is atomic).
    Returns the ids it touched.
    """
    from app.jobs.queue import enqueue

    now = utcnow()
    stale_before = now - timedelta(seconds=settings.heartbeat_timeout_s)
    touched, to_enqueue = [], []
    with session_scope(settings.database_url_resolved) as s:
        q = select(Job).where(Job.status.in_(ACTIVE))
        if job_id:
            q = q.where(Job.id == job_id)
        for job in s.scalars(q).all():
            beat = _aware(job.heartbeat) or _aware(job.started) or _aware(job.created)
            if job.status == "running" and _aware(job.started) and \
                    _aware(job.started) < now - timedelta(seconds=settings.job_timeout_s + TIMEOUT_GRACE_S):
                done = s.execute(update(Job).where(Job.id == job.id, Job.status == "running")
                                 .values(status="failed", error="jobs.error_timeout", finished=now)).rowcount
            elif job.status == "running" and beat < stale_before:
                log.warning("job %s: worker %s stopped beating", job.id, job.worker)
                if job.attempts >= MAX_ATTEMPTS:
                    done = s.execute(update(Job).where(Job.id == job.id, Job.status == "running", Job.heartbeat == job.heartbeat)
                                     .values(status="failed", error="jobs.error_lost", finished=now)).rowcount
                else:
                    progress = dict(job.progress or {}, stage="requeued")
                    done = s.execute(update(Job).where(Job.id == job.id, Job.status == "running", Job.heartbeat == job.heartbeat)
                                     .values(status="queued", worker=None, enqueued=now, progress=progress)).rowcount
                    if done:
                        to_enqueue.append(job.id)
            elif job.status == "queued" and (_aware(job.enqueued) or _aware(job.created)) < stale_before:
                done = s.execute(update(Job).where(Job.id == job.id, Job.status == "queued", Job.enqueued == job.enqueued)
                                 .values(enqueued=now)).rowcount
                if done:
                    to_enqueue.append(job.id)
            else:
                done = 0
            if done:
                touched.append(job.id)
    for jid in to_enqueue:
        try:
            enqueue(settings, jid)
        except Exception:
            log.exception("could not re-enqueue job %s", jid)
    return touched


def requeue_orphans(settings: Settings, host: str) -> list[str]:
    """At a worker's start: jobs left "running" by a process of this host that no longer exists
    (the server was stopped or the machine rebooted) go back to the queue at once, without
    waiting for their heartbeat to go stale."""
    from app.jobs.queue import enqueue

    orphans = []
    with session_scope(settings.database_url_resolved) as s:
        for job in s.scalars(select(Job).where(Job.status == "running", Job.worker.like(f"{host}:%"))).all():
            if job.worker.rsplit(":", 1)[0] != host:
                continue
            try:
                os.kill(int(job.worker.rsplit(":", 1)[1]), 0)
                continue  # that process is alive
            except ProcessLookupError:
                pass
            except (ValueError, PermissionError):
                continue
            progress = dict(job.progress or {}, stage="requeued")
            if s.execute(update(Job).where(Job.id == job.id, Job.status == "running", Job.worker == job.worker)
                         .values(status="queued", worker=None, enqueued=utcnow(), progress=progress)).rowcount:
                orphans.append(job.id)
    for job_id in orphans:
        enqueue(settings, job_id)
    return orphans


def worker_seen(settings: Settings, name: str, backend: str, device: str) -> None:
    """A worker's "I am here" (its housekeeping thread); workers gone for a day are forgotten."""
    now = utcnow()
    with session_scope(settings.database_url_resolved) as s:
        if not s.execute(update(WorkerRow).where(WorkerRow.name == name).values(seen=now)).rowcount:
            s.add(WorkerRow(name=name, backend=backend, device=device, started=now, seen=now))
        s.execute(delete(WorkerRow).where(WorkerRow.seen < now - timedelta(days=1)))


def workers_online(settings: Settings) -> list[dict]:
    """Workers seen within the heartbeat timeout."""
    now = utcnow()
    with session_scope(settings.database_url_resolved) as s:
        rows = s.scalars(select(WorkerRow).where(WorkerRow.seen >= now - timedelta(seconds=settings.heartbeat_timeout_s))
                         .order_by(WorkerRow.name)).all()
    return [{"name": r.name, "backend": r.backend, "device": r.device} for r in rows]


# --- for the classroom ---------------------------------------------------------------------------

def finished_jobs(settings: Settings, kind: str = "train", since: datetime | None = None, limit: int = 100) -> list[dict]:
    """Succeeded jobs, best test accuracy first — what a classroom leaderboard needs.

    Each item: {"id", "owner" (browser id), "test_accuracy", "parameters", "architecture",
    "epochs", "finished" (iso time), "model_id"}. `since` limits to jobs finished after a time
    (e.g. when the class started). Call it from a route; it only reads the jobs table.
    """
    with session_scope(settings.database_url_resolved) as s:
        q = select(Job).where(Job.kind == kind, Job.status == "succeeded")
        if since is not None:
            q = q.where(Job.finished >= since)
        jobs = s.scalars(q.order_by(Job.finished.desc()).limit(limit * 4)).all()
    items = []
    for job in jobs:
        r = job.result or {}
        items.append({
            "id": job.id, "owner": job.owner, "test_accuracy": r.get("test_accuracy"),
            "parameters": r.get("parameters"), "architecture": (job.params or {}).get("architecture"),
            "epochs": (job.params or {}).get("epochs"), "finished": _aware(job.finished).isoformat() if job.finished else None,
            "model_id": (r.get("manifest") or {}).get("id"),
        })
    items.sort(key=lambda i: -(i["test_accuracy"] or 0))
    return items[:limit]


def mark_announced(settings: Settings, job_id: str) -> bool:
    """True exactly once per job: the first viewer of a finished job publishes its result."""
    with session_scope(settings.database_url_resolved) as s:
        return s.execute(update(Job).where(Job.id == job_id, Job.announced.is_(False), Job.status == "succeeded")
                         .values(announced=True)).rowcount == 1
