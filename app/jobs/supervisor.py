"""The local training workers of `playground serve`, kept alive and stopped with it.

    workers = LocalWorkers(settings, n=2).start()   # n `python -m app.cli worker` processes
    …                                               # one that dies (kill -9, out of memory) is
    workers.stop()                                  # started again after a back-off: 1, 2, 4, 8 s

A restarted worker puts back in the queue at once what a dead process of this host left running
(app/jobs/recovery.py requeue_orphans), so its job goes on from its last checkpoint.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

from app.jobs.worker import settings_env
from app.settings import Settings

log = logging.getLogger(__name__)
BACKOFF_S = (1, 2, 4, 8)  # after 1, 2, 3, ≥ 4 deaths in a row: never more than 10 s without a worker
HEALTHY_AFTER_S = 60  # a worker that lived this long had no start-up problem: the back-off starts over
CHECK_EVERY_S = 0.5


class LocalWorkers:
    def __init__(self, settings: Settings, n: int, args: tuple[str, ...] = ()):
        self.n = n
        self.command = [sys.executable, "-m", "app.cli", "worker", *args]
        self.env = {**os.environ, **settings_env(settings), "PYTHONUNBUFFERED": "1"}
        self.procs: list[subprocess.Popen | None] = [None] * n
        self.started_at = [0.0] * n
        self.deaths = [0] * n  # deaths in a row, for the back-off
        self.restart_at: list[float | None] = [None] * n
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)

    def start(self) -> LocalWorkers:
        for i in range(self.n):
            self._spawn(i)
        self._thread.start()
        return self

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return [p.pid for p in self.procs if p is not None and p.poll() is None]

    def _spawn(self, i: int) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            self.procs[i] = subprocess.Popen(self.command, env=self.env)
            self.started_at[i] = time.monotonic()
            self.restart_at[i] = None

    def _watch(self) -> None:
        while not self._stop.wait(CHECK_EVERY_S):
            now = time.monotonic()
            for i, proc in enumerate(self.procs):
                if self.restart_at[i] is not None:
                    if now >= self.restart_at[i]:
                        self._spawn(i)
                        log.warning("local worker %d started again (pid %s)", i + 1, self.procs[i].pid)
                    continue
                if proc is None or proc.poll() is None:
                    continue
                lived = now - self.started_at[i]
                self.deaths[i] = 1 if lived >= HEALTHY_AFTER_S else self.deaths[i] + 1
                delay = BACKOFF_S[min(self.deaths[i], len(BACKOFF_S)) - 1]
                log.warning("local worker %d (pid %d) exited with %s after %.0f s; starting it again in %d s",
                            i + 1, proc.pid, proc.returncode, lived, delay)
                self.restart_at[i] = now + delay

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM to every worker (a running job is re-queued by the next worker), then SIGKILL
        to any still there after `timeout` seconds."""
        self._stop.set()
        with self._lock:
            procs = [p for p in self.procs if p is not None]
        for p in procs:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + timeout
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("local worker pid %d did not stop; killing it", p.pid)
                p.kill()
                p.wait(5)
