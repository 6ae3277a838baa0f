"""How a running job talks back: progress curves, heartbeat, cancellation, files (see kinds.py).

The Reporter writes to the jobs table; `reporter.callback(...)` gives a Keras callback that records
loss/accuracy per epoch and every few batches, and stops training at the next batch once the
learner cancels or the job runs past its timeout. A separate heartbeat thread (tasks.py) proves
the worker is alive even while Keras compiles or evaluates.
"""

from __future__ import annotations

import math
import time
from typing import Any

from sqlalchemy import update

from app.db import session_scope
from app.jobs import files
from app.jobs.store import cancel_requested, get_job
from app.jobs.tables import Job, utcnow
from app.settings import Settings

MIN_WRITE_INTERVAL_S = 0.5  # at most two progress writes a second per job
CANCEL_CHECK_INTERVAL_S = 0.5


def _clean(logs: dict[str, Any] | None) -> dict[str, float]:
    """Keras logs → plain floats (NaN becomes None so that JSON stays valid)."""
    out = {}
    for key, value in (logs or {}).items():
        try:
            v = float(value)
        except (TypeError, ValueError):
            continue
        out[key] = None if math.isnan(v) or math.isinf(v) else round(v, 5)
    return out


class Reporter:
    def __init__(self, settings: Settings, job_id: str, progress: dict[str, Any] | None = None,
                 timeout_s: float | None = None, owner: str = ""):
        self.settings = settings
        self.job_id = job_id
        self.owner = owner  # the browser id that submitted the job
        self.progress: dict[str, Any] = dict(progress or {})
        self.progress.setdefault("history", [])
        self.progress.setdefault("batches", [])
        self.started = time.monotonic()
        self.timeout_s = timeout_s if timeout_s is not None else settings.job_timeout_s
        self._last_write = 0.0
        self._last_cancel_check = 0.0
        self._cancelled = False
        self.pack: PackLink | None = None  # set when this job trains in a pack (app/jobs/packing.py)
        self._dirty = False

    # -- what the kinds call ------------------------------------------------------------------
    @property
    def initial_epoch(self) -> int:
        """Epochs already done by an earlier (crashed) run of this job."""
        return int(self.progress.get("epoch", 0))

    def stage(self, name: str, **extra: Any) -> None:
        self.progress.update(stage=name, **extra)
        self._write(force=True)

    def begin_training(self, epochs: int, steps_per_epoch: int) -> None:
        self.progress.update(stage="training", epochs=epochs, steps_per_epoch=steps_per_epoch,
                             train_started=time.time() - self._resumed_seconds())
        self._write(force=True)

    def _resumed_seconds(self) -> float:
        return sum(h.get("seconds", 0) for h in self.progress["history"])

    def batch(self, x: float, logs: dict[str, Any]) -> None:
        """x: epochs done so far as a fraction (1.5 = halfway through the second epoch)."""
        self.progress["batches"].append({"x": round(x, 4), **_clean(logs)})
        self.progress["x"] = round(x, 4)
        self._write()

    def epoch(self, epoch: int, logs: dict[str, Any], seconds: float) -> None:
        """epoch counts from 1. Forced write: an epoch is what a resume starts from."""
        self.progress["history"] = [h for h in self.progress["history"] if h["epoch"] < epoch]
        self.progress["history"].append({"epoch": epoch, **_clean(logs), "seconds": round(seconds, 3)})
        self.progress.update(epoch=epoch, x=float(epoch))
        self._write(force=True)

    def flush(self) -> None:
        """Write what is pending: in a pack, every member's progress in one transaction."""
        if self.pack is not None:
            self.pack.flush()

    def cancelled(self) -> bool:
        if self.pack is not None:
            self.pack.check_cancelled()
            return self._cancelled
        now = time.monotonic()
        if not self._cancelled and now - self._last_cancel_check >= CANCEL_CHECK_INTERVAL_S:
            self._last_cancel_check = now
            job = get_job(self.settings, self.job_id)
            self._cancelled = job is None or job.cancel_requested
        return self._cancelled

    def timed_out(self) -> bool:
        return time.monotonic() - self.started > self.timeout_s

    def save_file(self, name: str, data: bytes, meta: dict | None = None) -> None:
        files.save_file(self.settings, self.job_id, name, data, meta)

    def load_file(self, name: str) -> tuple[bytes, dict] | None:
        return files.load_file(self.settings, self.job_id, name)

    def delete_file(self, name: str) -> None:
        files.delete_file(self.settings, self.job_id, name)

    def callback(self, epochs: int, steps_per_epoch: int):
        """A keras.callbacks.Callback reporting to this job (imports Keras: worker side only)."""
        from app.jobs.keras_callback import JobProgressCallback

        return JobProgressCallback(self, epochs, steps_per_epoch)

    # -- the database write ---------------------------------------------------------------------
    def _write(self, force: bool = False) -> None:
        if self.pack is not None:  # the pack writes every member at once (PackLink.flush)
            self._dirty = True
            return
        now = time.monotonic()
        if not force and now - self._last_write < MIN_WRITE_INTERVAL_S:
            return
        self._last_write = now
        with session_scope(self.settings.database_url_resolved) as s:
            s.execute(update(Job).where(Job.id == self.job_id).values(progress=dict(self.progress), heartbeat=utcnow()))


class PackLink:
    """The reporters of one pack share their database work: one transaction writes every member's
    progress (after each chunk of steps), one query reads every member's cancel flag.

    300 jobs writing their own progress twice a second would cost more than training them."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.reporters: dict[str, Reporter] = {}
        self._last_cancel_check = 0.0

    def join(self, reporter: Reporter) -> None:
        reporter.pack = self
        self.reporters[reporter.job_id] = reporter

    def leave(self, job_id: str) -> None:
        """A finished member: its own outcome write (tasks.record_outcome) carries its progress."""
        reporter = self.reporters.pop(job_id, None)
        if reporter is not None:
            reporter._dirty = False

    def flush(self) -> None:
        dirty = [r for r in self.reporters.values() if r._dirty]
        if not dirty:
            return
        now = utcnow()
        with session_scope(self.settings.database_url_resolved) as s:
            for r in dirty:
                s.execute(update(Job).where(Job.id == r.job_id, Job.status == "running")
                          .values(progress=dict(r.progress), heartbeat=now))
                r._dirty = False

    def check_cancelled(self) -> None:
        now = time.monotonic()
        if now - self._last_cancel_check < CANCEL_CHECK_INTERVAL_S:
            return
        self._last_cancel_check = now
        ids = [job_id for job_id, r in self.reporters.items() if not r._cancelled]
        if not ids:
            return
        for job_id in cancel_requested(self.settings, ids):
            self.reporters[job_id]._cancelled = True
