"""The worker process: `playground worker [--backend jax] [--device 0]`.

It runs huey's consumer (one job, or one pack of same-shaped jobs, at a time: app/jobs/packing.py), a housekeeping thread that
recovers jobs of dead workers (recovery.reap_stale), and loads Keras before the first job so a
learner's job is not charged for the import. `playground serve` starts local ones with
start_local_workers(); on a GPU host start one per GPU:

    PLAYGROUND_DATABASE_URL=postgresql+psycopg://… PLAYGROUND_QUEUE_URL=redis://web:6379/0 \\
        playground worker --backend jax --device 0
"""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
import threading

from app.jobs.recovery import reap_stale
from app.jobs.store import worker_seen
from app.jobs.tasks import describe_device, worker_name
from app.settings import Settings

log = logging.getLogger(__name__)


def settings_env(settings: Settings) -> dict[str, str]:
    """These settings as PLAYGROUND_* variables, for a child process."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"PLAYGROUND_{name.upper()}"] = str(value)
    return env


def local_backend() -> str | None:
    """JAX where it is installed (it trains a class's same-shaped jobs as packs: app/jobs/packing.py),
    unless KERAS_BACKEND says otherwise; None: Keras's own default."""
    if os.environ.get("KERAS_BACKEND"):
        return None
    return "jax" if importlib.util.find_spec("jax") is not None else None


def start_local_workers(settings: Settings, n: int) -> list[subprocess.Popen]:
    """n worker processes on this machine, with the same settings as the caller."""
    env = {**os.environ, **settings_env(settings), "PYTHONUNBUFFERED": "1"}
    backend = local_backend()
    args = ["--backend", backend] if backend else []
    return [subprocess.Popen([sys.executable, "-m", "app.cli", "worker", *args], env=env) for _ in range(n)]


def _housekeeping(settings: Settings, stop: threading.Event) -> None:
    interval = max(1.0, settings.heartbeat_timeout_s / 3)
    backend, device = describe_device()
    while True:
        try:
            worker_seen(settings, worker_name(), backend, device)
        except Exception:
            log.exception("could not stamp this worker")
        if stop.wait(interval):
            return
        try:
            touched = reap_stale(settings)
            if touched:
                log.warning("recovered jobs %s", touched)
        except Exception:
            log.exception("housekeeping failed")


def run_worker(settings: Settings, backend: str | None = None, device: str | None = None) -> int:
    # Must happen before Keras is imported anywhere in this process.
    if backend:
        os.environ["KERAS_BACKEND"] = backend
    if device is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(device)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from app.db import create_tables
    from app.jobs.queue import get_huey
    from app.jobs.tasks import describe_device

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    create_tables(settings.database_url_resolved)  # the jobs tables (app.cli creates all of them)
    backend_name, device_name = describe_device()  # imports Keras now, not in the first job
    if backend_name == "jax":  # compiled XLA programs survive across jobs and restarts
        try:
            import jax

            jax.config.update("jax_compilation_cache_dir", str(settings.data_dir / "cache" / "jax"))
        except Exception:
            log.exception("no JAX compilation cache")
    from app.ml import training

    training.warm_up(settings)
    log.info("worker ready: backend=%s device=%s queue=%s", backend_name, device_name, settings.queue_url or "sqlite")

    import socket

    from app.jobs.recovery import requeue_orphans

    orphans = requeue_orphans(settings, socket.gethostname())
    if orphans:
        log.warning("jobs left running by a stopped worker on this host, queued again: %s", orphans)
    stop = threading.Event()
    threading.Thread(target=_housekeeping, args=(settings, stop), daemon=True, name="housekeeping").start()
    huey = get_huey(settings)
    consumer = huey.create_consumer(workers=1, worker_type="thread", periodic=False,
                                    initial_delay=0.02, backoff=1.3, max_delay=0.05)  # SQLite is polled; Redis blocks
    try:
        consumer.run()  # until SIGINT/SIGTERM
    finally:
        stop.set()
    return 0
