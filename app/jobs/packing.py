"""Packs: a JAX worker takes several queued jobs of the same shape and trains them as one program.

A class pressing "train" together sends dozens of jobs that differ only in their numbers
(learning rate, seed, epochs). Trained one after another, each pays its own compile and Keras's
per-step overhead; trained as a pack (app/ml/packed.py), they share both. Each job stays itself:
its own row, progress, cancel, outcome and model file.

    execute(settings, job_id)   the huey task body (queue.py): claim the job; if its kind packs
                                (kinds.PACKS) and this worker runs JAX, claim the queued jobs of
                                the same shape too (at most settings.pack_size) and train them
                                together; otherwise the one-job path (tasks.run_claimed).

Claiming is one conditional UPDATE (queued → running) over the candidates, so a job joins at most
one pack on one worker. Every member has its own heartbeat stamp (one write for the pack): when
the worker dies, recovery.reap_stale puts each job back in the queue by itself, and the next
worker resumes it from its own checkpoint (alone or in a new pack).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import case, select, update

from app.db import session_scope
from app.jobs.kinds import pack_functions
from app.jobs.progress import PackLink, Reporter
from app.jobs.tables import Job, utcnow
from app.jobs.tasks import Heartbeat, claim, describe_device, record_outcome, run_claimed, worker_name
from app.settings import Settings

log = logging.getLogger(__name__)
POLL_S = 0.1  # while a pack fills: how often to look for more jobs
QUIET_S = 0.3  # …and stop looking once no new one came for this long


def packing_enabled(settings: Settings) -> bool:
    """Packs need the JAX backend (one vmapped, jit-compiled program)."""
    return settings.pack_size > 1 and describe_device()[0] == "jax"


def execute(settings: Settings, job_id: str) -> None:
    """The huey task body. Never raises: every outcome is written to the job rows."""
    me = worker_name()
    job = claim(settings, job_id, me)
    if job is None:
        log.info("job %s already taken, finished or cancelled", job_id)
        return
    functions = pack_functions(job.kind) if packing_enabled(settings) else None
    key = functions[0](dict(job.params or {})) if functions else None
    others = gather(settings, job, key, functions[0], me) if key is not None else []
    if not others:
        run_claimed(settings, job, me)
        return
    run_pack(settings, [job, *others], me, functions[1])


def claim_many(settings: Settings, job_ids: list[str], me: str) -> list[Job]:
    """Claim those of these jobs that are still queued, in one conditional UPDATE; oldest first."""
    if not job_ids:
        return []
    backend, device = describe_device()
    now = utcnow()
    with session_scope(settings.database_url_resolved) as s:
        s.execute(update(Job).where(Job.id.in_(job_ids), Job.status == "queued")
                  .values(status="running", worker=me, device=device, backend=backend, heartbeat=now,
                          attempts=Job.attempts + 1, started=case((Job.started.is_(None), now), else_=Job.started)))
    with session_scope(settings.database_url_resolved) as s:
        return list(s.scalars(select(Job).where(Job.id.in_(job_ids), Job.status == "running", Job.worker == me)
                              .order_by(Job.created)).all())


def gather(settings: Settings, first: Job, key: str, pack_key, me: str) -> list[Job]:
    """Claim queued jobs with the same pack key as `first`, waiting briefly while more arrive."""
    keys: dict[str, str | None] = {first.id: key}
    members: list[Job] = []
    started = last_new = time.monotonic()
    while len(members) + 1 < settings.pack_size:
        with session_scope(settings.database_url_resolved) as s:
            queued = s.execute(select(Job.id, Job.params).where(Job.status == "queued", Job.kind == first.kind)
                               .order_by(Job.created).limit(4 * settings.pack_size)).all()
        for job_id, params in queued:
            if job_id not in keys:
                keys[job_id] = pack_key(dict(params or {}))
        wanted = [job_id for job_id, _ in queued if keys[job_id] == key][: settings.pack_size - 1 - len(members)]
        claimed = claim_many(settings, wanted, me)
        members += claimed
        now = time.monotonic()
        if claimed:
            last_new = now
        if now - started >= settings.pack_wait_s or now - last_new >= QUIET_S:
            break
        time.sleep(POLL_S)
    return members


def run_pack(settings: Settings, jobs: list[Job], me: str, run) -> None:
    """Train claimed same-shaped jobs as one program; record each job's outcome as it ends."""
    ids = [job.id for job in jobs]
    log.info("pack of %d %s jobs on %s: %s", len(jobs), jobs[0].kind, me, " ".join(ids))
    heartbeat = Heartbeat(settings, ids, me)
    heartbeat.start()
    link = PackLink(settings)
    reporters: dict[str, Reporter] = {}
    for job in jobs:
        reporters[job.id] = Reporter(settings, job.id, job.progress, owner=job.owner)
        link.join(reporters[job.id])
    finished: set[str] = set()

    def finish(job_id: str, result: dict[str, Any] | None = None, error: BaseException | None = None) -> None:
        if job_id in finished:
            return
        finished.add(job_id)
        link.leave(job_id)
        heartbeat.forget(job_id)
        try:
            record_outcome(settings, job_id, me, reporters[job_id], result=result, error=error)
        except Exception:  # the database hiccuped: the heartbeat stops, recovery takes this job over
            log.exception("could not record the outcome of job %s", job_id)

    try:
        run(settings, [(job.id, dict(job.params or {}), reporters[job.id]) for job in jobs], finish)
        left = RuntimeError("the pack ended before this job did")
    except Exception as exc:  # the whole program failed (out of memory, no MNIST …): every member says why
        left = exc
    finally:
        heartbeat.stop.set()
    for job_id in ids:
        finish(job_id, error=left)
