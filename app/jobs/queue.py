"""The huey queue: SQLite in the data folder by default, Redis when PLAYGROUND_QUEUE_URL=redis://….

The queue carries only wake-up messages "run job <id>". A worker claims the job row atomically
(app/jobs/tasks.py), so a duplicate message is harmless, and a lost one (a worker killed with
kill -9 after taking it) is made good by re-sending it (recovery.reap_stale). The job table, not
the queue, is the truth.
"""

from __future__ import annotations

from functools import lru_cache

from huey import Huey, RedisHuey, SqliteHuey

from app.jobs.packing import execute
from app.settings import Settings

QUEUE_NAME = "playground-jobs"
TASK_NAME = "playground.run_job"


@lru_cache(maxsize=8)
def _huey(queue_url: str | None, data_dir: str) -> Huey:
    if queue_url and queue_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(QUEUE_NAME, url=queue_url, results=False)
    if queue_url and queue_url.startswith("sqlite:///"):
        filename = queue_url.removeprefix("sqlite:///")
    elif queue_url:
        raise ValueError(f"PLAYGROUND_QUEUE_URL must be redis://… or sqlite:///…, not {queue_url!r}")
    else:
        filename = f"{data_dir}/queue.db"
    return SqliteHuey(QUEUE_NAME, filename=filename, results=False)


def get_huey(settings: Settings) -> Huey:
    """The huey instance for these settings, with the one task the workers run registered on it."""
    huey = _huey(settings.queue_url, str(settings.data_dir))
    if getattr(huey, "playground_run_job", None) is None:
        @huey.task(name=TASK_NAME)
        def run_job(job_id: str) -> None:
            execute(settings, job_id)  # a pack where it can (packing.py); the settings of the consumer's process

        huey.playground_run_job = run_job
    return huey


def enqueue(settings: Settings, job_id: str) -> None:
    """Send the wake-up message "run job <id>" (calling a huey task enqueues it)."""
    get_huey(settings).playground_run_job(job_id)


def pending_count(settings: Settings) -> int:
    return get_huey(settings).pending_count()
