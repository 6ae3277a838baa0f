"""What a worker does with one wake-up message: claim the job, run its kind, record the outcome.

Claiming is one conditional UPDATE (queued → running), so each job runs on one worker at a time
however many messages or workers there are. While it runs, a heartbeat thread stamps the row
every few seconds; when a worker dies the heartbeat stops and recovery.reap_stale() puts the job
back in the queue (app/jobs/recovery.py), where the next worker resumes it from its last checkpoint.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from functools import lru_cache

from sqlalchemy import case, update

from app.db import session_scope
from app.errors import JobFailed
from app.jobs.files import ensure_user_model
from app.jobs.kinds import job_function
from app.jobs.progress import Reporter
from app.jobs.store import get_job
from app.jobs.tables import Job, utcnow
from app.settings import Settings

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@lru_cache
def describe_device() -> tuple[str, str]:
    """(backend, device) of this process, e.g. ("jax", "GPU 0: NVIDIA H200") or ("tensorflow", "CPU")."""
    import keras

    backend = keras.backend.backend()
    device = "CPU"
    try:
        if backend == "jax":
            import jax

            d = jax.devices()[0]
            if d.platform != "cpu":
                device = f"GPU {d.id}: {d.device_kind}"
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                device = f"GPU {torch.cuda.current_device()}: {torch.cuda.get_device_name()}"
        elif backend == "tensorflow":
            import tensorflow as tf  # device discovery only; the training code itself is pure Keras

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                device = f"GPU: {gpus[0].name}"
    except Exception:  # a device we cannot name still trains
        log.exception("could not describe the device")
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if device != "CPU" and visible:
        device += f" (CUDA_VISIBLE_DEVICES={visible})"
    return backend, device


def claim(settings: Settings, job_id: str, me: str) -> Job | None:
    backend, device = describe_device()
    now = utcnow()
    with session_scope(settings.database_url_resolved) as s:
        claimed = s.execute(
            update(Job).where(Job.id == job_id, Job.status == "queued")
            .values(status="running", worker=me, device=device, backend=backend, heartbeat=now,
                    attempts=Job.attempts + 1, started=case((Job.started.is_(None), now), else_=Job.started))
        ).rowcount
    return get_job(settings, job_id) if claimed == 1 else None


class Heartbeat(threading.Thread):
    """Stamps jobs.heartbeat while this worker runs the job (also during compile and test).
    A pack's heartbeat stamps all its running jobs in one write; `forget(id)` when one is done."""

    def __init__(self, settings: Settings, job_id: str | list[str], me: str):
        ids = [job_id] if isinstance(job_id, str) else list(job_id)
        super().__init__(daemon=True, name=f"heartbeat-{ids[0]}")
        self.settings, self.job_ids, self.me = settings, set(ids), me
        self.interval = max(0.5, settings.heartbeat_timeout_s / 4)
        self.stop = threading.Event()

    def forget(self, job_id: str) -> None:
        self.job_ids.discard(job_id)

    def run(self):
        while not self.stop.wait(self.interval):
            ids = list(self.job_ids)
            if not ids:
                continue
            try:
                with session_scope(self.settings.database_url_resolved) as s:
                    s.execute(update(Job).where(Job.id.in_(ids), Job.status == "running", Job.worker == self.me)
                              .values(heartbeat=utcnow()))
            except Exception:  # a database hiccup: the next beat tries again
                log.exception("heartbeat failed")


def _record(settings: Settings, job_id: str, me: str, **values) -> None:
    values.setdefault("finished", utcnow())
    with session_scope(settings.database_url_resolved) as s:
        s.execute(update(Job).where(Job.id == job_id, Job.status == "running", Job.worker == me).values(**values))


def record_outcome(settings: Settings, job_id: str, me: str, reporter: Reporter,
                   result: dict | None = None, error: BaseException | None = None) -> None:
    """Write how a job ended: cancelled, timed out, succeeded with `result`, or failed with `error`."""
    if error is None and reporter.cancelled():
        _record(settings, job_id, me, status="cancelled", progress=dict(reporter.progress, stage="cancelled"))
    elif error is None and reporter.timed_out():
        _record(settings, job_id, me, status="failed", error="jobs.error_timeout",
                progress=dict(reporter.progress, stage="failed"))
    elif error is None:
        _record(settings, job_id, me, status="succeeded", result=result or {},
                progress=dict(reporter.progress, stage="done"))
        log.info("job %s succeeded on %s", job_id, me)
        ensure_user_model(settings, get_job(settings, job_id))  # this host's copy
    elif isinstance(error, JobFailed):
        _record(settings, job_id, me, status="failed", error=error.key,
                progress=dict(reporter.progress, stage="failed", error_params=error.params))
    else:  # a bug or an out-of-memory: the learner sees the reason
        log.error("job %s failed:\n%s", job_id, "".join(traceback.format_exception(error)))
        reason = f"{type(error).__name__}: {error}"[:500]
        _record(settings, job_id, me, status="failed", error="jobs.error_crash",
                progress=dict(reporter.progress, stage="failed", error_params={"reason": reason}))


def execute_job(settings: Settings, job_id: str) -> None:
    """The huey task body of the one-job path. Never raises: every outcome is written to the job row."""
    me = worker_name()
    job = claim(settings, job_id, me)
    if job is None:
        log.info("job %s already taken, finished or cancelled", job_id)
        return
    run_claimed(settings, job, me)


def run_claimed(settings: Settings, job: Job, me: str) -> None:
    """Run one job this worker has claimed, and record how it ended."""
    job_id = job.id
    log.info("job %s (%s) attempt %d on %s", job_id, job.kind, job.attempts, me)
    heartbeat = Heartbeat(settings, job_id, me)
    heartbeat.start()
    reporter = Reporter(settings, job_id, job.progress, owner=job.owner)
    try:
        result = job_function(job.kind)(settings, job_id, dict(job.params or {}), reporter)
        record_outcome(settings, job_id, me, reporter, result=result)
    except Exception as exc:
        record_outcome(settings, job_id, me, reporter, error=exc)
    finally:
        heartbeat.stop.set()
