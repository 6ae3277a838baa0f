"""What the web side does with jobs: submit, look at, cancel, recover, and list finished ones.

(Reading the table is app/jobs/store.py, crash recovery app/jobs/recovery.py, files kept with a
job app/jobs/files.py; their functions are importable from here too, as before.)

    job_id = submit_job(settings, "train", params, owner=browser_id)   # limits checked, then enqueued
    view = job_view(settings, job_id)                                  # a plain dict, the API's answer
    cancel_job(settings, job_id, owner)
    reap_stale(settings)            # workers call this every few seconds; the API for one job too
    finished_jobs(settings, kind="train")   # for a classroom leaderboard (see its docstring)

No Keras here: the web process never imports it.
"""

from __future__ import annotations

import logging
import uuid
from contextvars import ContextVar
from typing import Any

from sqlalchemy import func, select, text, update

from app.db import session_scope
from app.errors import UserError
from app.jobs.files import delete_file, ensure_user_model, load_file, owner_models, save_file  # noqa: F401
from app.jobs.kinds import KINDS
from app.jobs.queue import enqueue
from app.jobs.recovery import MAX_ATTEMPTS, TIMEOUT_GRACE_S, reap_stale, requeue_orphans  # noqa: F401
from app.jobs.store import aware, finished_jobs, get_job, mark_announced, worker_seen, workers_online  # noqa: F401
from app.jobs.tables import ACTIVE, Job, JobClient, utcnow
from app.settings import Settings

log = logging.getLogger(__name__)


# The client address of the request being handled (set for each request by app/security.py): a
# browser that sends no cookie, or a made-up one each time, still counts against its address.
SUBMITTER_ADDRESS: ContextVar[str] = ContextVar("submitter_address", default="")
RETRY_AFTER_S = 30  # what a refused submitter is told to wait (Retry-After)


def new_job_id() -> str:
    return uuid.uuid4().hex[:12]


def submit_job(settings: Settings, kind: str, params: dict[str, Any], owner: str) -> str:
    """Record a job and wake a worker. Raises UserError 429 when this browser has too many."""
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
            raise UserError("jobs.too_many", 429, limit=settings.max_jobs_per_browser, seconds=RETRY_AFTER_S)  # rolled back
        address = SUBMITTER_ADDRESS.get()[:64]
        if address:
            s.add(JobClient(job_id=job_id, address=address))
            s.flush()
            here = s.scalar(select(func.count()).select_from(JobClient).join(Job, Job.id == JobClient.job_id)
                            .where(JobClient.address == address, Job.status.in_(ACTIVE)))
            if here > settings.max_jobs_per_address:
                raise UserError("jobs.too_many_here", 429, limit=settings.max_jobs_per_address, seconds=RETRY_AFTER_S)
        queued = s.scalar(select(func.count()).select_from(Job).where(Job.status == "queued"))
        if queued > settings.max_queued_jobs:  # a crowd of addresses still cannot grow the queue without end
            raise UserError("jobs.queue_full", 429, limit=settings.max_queued_jobs, seconds=RETRY_AFTER_S)
    try:
        enqueue(settings, job_id)
    except Exception as exc:  # the queue (Redis) is down: say so instead of waiting forever
        log.exception("could not enqueue job %s", job_id)
        _finish(settings, job_id, "failed", error="jobs.error_queue")
        raise UserError("jobs.queue_down", 503) from exc
    return job_id


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
        "x": p.get("x", 0.0),  # epochs done as a fraction: 0.4 = 40 % through the first epoch
        "steps_per_epoch": p.get("steps_per_epoch"),
        "samples": p.get("samples", []),  # what the model wrote after each epoch (text jobs: app/ml/text.py)
        "test_accuracy": result.get("test_accuracy") if job.status == "succeeded" else None,
        "error": error_message,
        "error_code": job.error,
        "packed": p.get("packed"),  # trained as one program with this many same-shaped jobs (packing.py)
        "queue_position": queue_position(settings, job),
        "eta_s": eta_seconds(job),
        "worker": job.worker,
        "device": job.device,
        "backend": job.backend,
        "attempts": job.attempts,
        "created": aware(job.created).isoformat() if job.created else None,
        "started": aware(job.started).isoformat() if job.started else None,
        "finished": aware(job.finished).isoformat() if job.finished else None,
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
