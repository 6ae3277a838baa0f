"""Real worker processes for the job tests: `python -m app.cli worker`, as on a GPU host.

Jobs in these tests are tiny (a few thousand digits, small networks) so the suite stays fast on
two shared CPU cores; a short heartbeat timeout makes crash recovery quick to observe.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from app.jobs.worker import settings_env
from app.settings import Settings
from tests.conftest import ROOT

HEARTBEAT_S = 4


class Worker:
    def __init__(self, settings: Settings, name: str = "worker", wait: bool = True, args: tuple[str, ...] = ()):
        log_path = settings.data_dir / f"{name}.log"
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        self.log = open(log_path, "w")
        env = {**os.environ, **settings_env(settings), "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
        self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", *args], cwd=ROOT, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 120):
        deadline = time.time() + timeout
        while "worker ready" not in self.text():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"worker did not start:\n{self.text()[-3000:]}")
            time.sleep(0.2)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def job_settings(data_dir: Path, shared: Path, **overrides) -> Settings:
    return Settings(data_dir=data_dir, assets_dir=shared, workers=0, heartbeat_timeout_s=HEARTBEAT_S, **overrides)


TINY = {"architecture": "dnn", "hidden_layers": [16], "activation": "relu", "loss": "categorical_crossentropy",
        "optimizer": "adam", "learning_rate": 0.01, "batch_size": 50, "epochs": 2, "train_subset": 1000}


def wait_for(get, predicate, timeout: float = 90, interval: float = 0.2, what: str = "condition"):
    """Poll get() until predicate(value) holds; returns the value."""
    deadline = time.time() + timeout
    value = None
    while time.time() < deadline:
        value = get()
        if predicate(value):
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last value: {value}")


def job_json(client, job_id: str) -> dict:
    r = client.get(f"/api/jobs/{job_id}")
    assert r.status_code == 200, r.text
    return r.json()


def wait_done(client, job_id: str, timeout: float = 120) -> dict:
    return wait_for(lambda: job_json(client, job_id), lambda j: j["status"] not in ("queued", "running"),
                    timeout, what=f"job {job_id} to finish")


@pytest.fixture
def http_client_factory():
    clients = []

    def make(base_url: str) -> httpx.Client:
        c = httpx.Client(base_url=base_url, timeout=30)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


REDIS_DB = 13  # a spare Redis database number, flushed before and after


@pytest.fixture
def redis_url():
    import redis

    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def postgres_url():
    """A database of our own on the local PostgreSQL, dropped afterwards."""
    import psycopg

    name = f"playground_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    from app.db import get_engine

    get_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}").dispose()
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
