"""Reading and stamping the jobs table, for both sides (the web app and the workers).

No Keras, no web: the worker process imports this (app/jobs/tasks.py, progress.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, update

from app.db import session_scope
from app.jobs.tables import Job, WorkerRow, utcnow
from app.settings import Settings


def aware(t: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; every time we store is UTC."""
    if t is None:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def get_job(settings: Settings, job_id: str) -> Job | None:
    if not job_id or len(job_id) > 32:
        return None
    with session_scope(settings.database_url_resolved) as s:
        return s.get(Job, job_id)


def cancel_requested(settings: Settings, job_ids: list[str]) -> set[str]:
    """Which of these jobs a learner has cancelled (or that are gone): one query for a whole pack."""
    with session_scope(settings.database_url_resolved) as s:
        rows = s.execute(select(Job.id, Job.cancel_requested).where(Job.id.in_(job_ids))).all()
    present = {job_id: flag for job_id, flag in rows}
    return {job_id for job_id in job_ids if present.get(job_id, True)}


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
            "epochs": (job.params or {}).get("epochs"), "finished": aware(job.finished).isoformat() if job.finished else None,
            "model_id": (r.get("manifest") or {}).get("id"),
        })
    items.sort(key=lambda i: -(i["test_accuracy"] or 0))
    return items[:limit]


def job_counts(url: str, owners: list[str], since: datetime, kind: str = "train") -> dict[str, int]:
    """How a class's jobs stand (the teacher's view of a push-to-train): {"queued", "running",
    "packed" (running as part of a pack: app/jobs/packing.py), "done", "failed" (or cancelled)}.
    `owners`: the students' browser ids; `url`: the database URL (classroom functions take it)."""
    counts = {"queued": 0, "running": 0, "packed": 0, "done": 0, "failed": 0}
    owners = [o for o in owners if o]
    if not owners:
        return counts
    with session_scope(url) as s:
        rows = s.execute(select(Job.status, Job.progress).where(Job.kind == kind, Job.owner.in_(owners),
                                                                Job.created >= since)).all()
    for status, progress in rows:
        if status == "running":
            counts["running"] += 1
            counts["packed"] += int(((progress or {}).get("packed") or 1) > 1)
        elif status in ("queued", "failed"):
            counts[status] += 1
        elif status == "succeeded":
            counts["done"] += 1
        else:
            counts["failed"] += 1
    return counts


def mark_announced(settings: Settings, job_id: str) -> bool:
    """True exactly once per job: the first viewer of a finished job publishes its result."""
    with session_scope(settings.database_url_resolved) as s:
        return s.execute(update(Job).where(Job.id == job_id, Job.announced.is_(False), Job.status == "succeeded")
                         .values(announced=True)).rowcount == 1
