"""`playground serve` keeps its local workers alive and stops them with it; a job cancelled while
queued never starts, even with two workers racing for its wake-ups (issue 18). Real processes."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.jobs.queue import enqueue
from app.main import create_app
from tests.conftest import LiveServer
from tests.jobs.conftest import TINY, Worker, job_json, job_settings, wait_done, wait_for

pytestmark = pytest.mark.slow

LONG = {**TINY, "hidden_layers": [128], "train_subset": 20_000, "batch_size": 32, "epochs": 3}


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_killed_local_worker_is_back_within_10_s_its_job_finishes_and_sigterm_leaves_no_child(tmp_path):
    server = LiveServer(tmp_path / "data", extra_env={"PLAYGROUND_WORKERS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"},
                        worker=True)
    log = tmp_path / "data" / "server.log"
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            wait_for(lambda: client.get("/api/workers").json(), bool, timeout=180, what="the local worker")
            job_id = client.post("/api/jobs", json=LONG).json()["id"]
            job = wait_for(lambda: job_json(client, job_id), lambda j: j["status"] == "running",
                           timeout=120, interval=0.1, what="the job to run")
            first = int(job["worker"].rsplit(":", 1)[1])
            os.kill(first, signal.SIGKILL)
            killed = time.monotonic()
            wait_for(lambda: log.read_text(errors="replace"), lambda t: "started again" in t, timeout=10,
                     what="the supervisor to restart the worker")
            restarted = time.monotonic() - killed
            again = wait_for(lambda: job_json(client, job_id),
                             lambda j: j["status"] == "running" and not j["worker"].endswith(f":{first}"),
                             timeout=180, interval=0.2, what="the job to run on the new worker")
            training_again = time.monotonic() - killed
            done = wait_done(client, job_id, timeout=300)
            print(f"\nkill -9 → worker restarted {restarted:.1f} s, job running again {training_again:.1f} s, "
                  f"done {time.monotonic() - killed:.1f} s")
            assert done["status"] == "succeeded" and done["attempts"] == 2, done
            assert again["worker"] != job["worker"]
        kids = children(server.proc.pid)
        assert kids, "serve has its worker as a child"
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(30)
        wait_for(lambda: [k for k in kids if alive(k)], lambda left: not left, timeout=20, what="the children to stop")
    finally:
        if server.proc.poll() is None:
            server.stop()


def test_a_job_cancelled_while_queued_never_starts_with_two_workers_racing(tmp_path, shared):
    settings = job_settings(tmp_path / "data", shared, max_jobs_per_browser=10)
    with TestClient(create_app(settings)) as client:
        workers = [Worker(settings, f"w{i}", wait=False) for i in (1, 2)]
        try:
            for w in workers:
                w.wait_ready(180)
            busy = [client.post("/api/jobs", json={**LONG, "epochs": 20}).json()["id"] for _ in workers]
            for job_id in busy:
                wait_for(lambda: job_json(client, job_id), lambda j: j["status"] == "running", timeout=120,
                         what="both workers to be busy")
            waiting = client.post("/api/jobs", json=TINY).json()["id"]
            assert job_json(client, waiting)["status"] == "queued"
            assert client.post(f"/api/jobs/{waiting}/cancel").json()["status"] == "cancelled"
            for _ in range(4):  # more wake-ups for it (a re-sent message, a reaper): both workers race for them
                enqueue(settings, waiting)
            for job_id in busy:
                client.post(f"/api/jobs/{job_id}/cancel")
            after = client.post("/api/jobs", json=TINY).json()["id"]  # behind every wake-up of the cancelled one
            assert wait_done(client, after, timeout=240)["status"] == "succeeded"
        finally:
            for w in workers:
                w.stop()
        never = job_json(client, waiting)
        assert never["status"] == "cancelled" and never["started"] is None and never["attempts"] == 0, never
        assert never["worker"] is None and never["history"] == []
