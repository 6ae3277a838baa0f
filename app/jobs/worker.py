"""The worker process: `playground worker [--backend jax] [--device 0]`.

It runs huey's consumer (one job, or one pack of same-shaped jobs, at a time: app/jobs/packing.py), a housekeeping thread that
recovers jobs of dead workers (recovery.reap_stale), and loads Keras before the first job so a
learner's job is not charged for the import. `playground serve` starts local ones and keeps
them alive (app/jobs/supervisor.py); on a GPU host start one per GPU:

    PLAYGROUND_DATABASE_URL=postgresql+psycopg://… PLAYGROUND_QUEUE_URL=redis://web:6379/0 \\
        playground worker --backend jax --device 0
"""

from __future__ import annotations

import importlib.util
import logging
import os
import socket
import time
import threading

from app.jobs.recovery import reap_stale, requeue_orphans
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


ORPHAN_CHECK_S = 2.0  # how soon a job of a dead process on this host goes to a worker still alive


def local_backend() -> str | None:
    """JAX where it is installed (it trains a class's same-shaped jobs as packs: app/jobs/packing.py),
    unless KERAS_BACKEND says otherwise; None: Keras's own default."""
    if os.environ.get("KERAS_BACKEND"):
        return None
    return "jax" if importlib.util.find_spec("jax") is not None else None


def one_device_per_core(settings: Settings) -> None:
    """JAX on a CPU: one XLA device per core, so a pack's members train on every core at once
    (app/ml/packed.py). Before JAX starts; a GPU stays the default device. XLA_FLAGS that already
    say it win."""
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" not in flags:
        cores = settings.pack_cpu_devices or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                              else os.cpu_count() or 1)  # macOS has no affinity call
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={cores}".strip()


def _housekeeping(settings: Settings, stop: threading.Event) -> None:
    interval = max(1.0, settings.heartbeat_timeout_s / 3)
    backend, device = describe_device()
    host, due = socket.gethostname(), 0.0
    while True:
        if time.monotonic() >= due:
            due = time.monotonic() + interval
            try:
                worker_seen(settings, worker_name(), backend, device)
                touched = reap_stale(settings)
                if touched:
                    log.warning("recovered jobs %s", touched)
            except Exception:
                log.exception("housekeeping failed")
        try:  # a worker of this host killed mid-job (kill -9, out of memory): no need to wait for its heartbeat
            orphans = requeue_orphans(settings, host)
            if orphans:
                log.warning("jobs of a dead worker on this host, queued again: %s", orphans)
        except Exception:
            log.exception("could not look for orphaned jobs")
        if stop.wait(min(interval, ORPHAN_CHECK_S)):
            return


def run_worker(settings: Settings, backend: str | None = None, device: str | None = None) -> int:
    # Must happen before Keras is imported anywhere in this process.
    if backend:
        os.environ["KERAS_BACKEND"] = backend
    if device is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(device)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if os.environ.get("KERAS_BACKEND") == "jax":
        one_device_per_core(settings)

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
