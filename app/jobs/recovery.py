"""Crash recovery: jobs of dead or stopped workers go back to the queue (or fail after a few tries).

Run by every worker's housekeeping thread and by the web for one job (app/jobs/api.py); all
updates are conditional, so any number of them may run at once.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from sqlalchemy import select, update

from app.db import session_scope
from app.jobs.queue import enqueue
from app.jobs.store import aware
from app.jobs.tables import ACTIVE, Job, utcnow
from app.settings import Settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3  # a job whose worker died this many times fails instead of trying again
TIMEOUT_GRACE_S = 60  # the worker stops a job at the timeout itself; the reaper only backs it up


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
    now = utcnow()
    stale_before = now - timedelta(seconds=settings.heartbeat_timeout_s)
    touched, to_enqueue = [], []
    with session_scope(settings.database_url_resolved) as s:
        q = select(Job).where(Job.status.in_(ACTIVE))
        if job_id:
            q = q.where(Job.id == job_id)
        for job in s.scalars(q).all():
            beat = aware(job.heartbeat) or aware(job.started) or aware(job.created)
            if job.status == "running" and aware(job.started) and \
                    aware(job.started) < now - timedelta(seconds=settings.job_timeout_s + TIMEOUT_GRACE_S):
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
            elif job.status == "queued" and (aware(job.enqueued) or aware(job.created)) < stale_before:
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
