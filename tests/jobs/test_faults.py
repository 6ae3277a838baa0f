"""Faults: a worker killed with kill -9 mid-job, workers that keep dying, a job past its timeout,
and a web server restart — a job never stays "running" forever and nothing is lost."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.db import session_scope
from app.jobs import service
from app.jobs.queue import pending_count
from app.jobs.tables import Job, utcnow
from app.main import create_app
from app.tables import init_db
from tests.jobs.conftest import HEARTBEAT_S, TINY, Worker, job_json, job_settings, wait_done, wait_for

pytestmark = pytest.mark.slow


def test_kill_9_mid_job_resumes_from_the_last_finished_epoch_on_the_next_worker(tmp_path, shared):
    settings = job_settings(tmp_path / "data", shared)
    design = {**TINY, "hidden_layers": [128], "train_subset": 20_000, "batch_size": 32, "epochs": 4}
    with TestClient(create_app(settings)) as client:
        first = Worker(settings, "first")
        try:
            job_id = client.post("/api/jobs", json=design).json()["id"]
            job = wait_for(lambda: job_json(client, job_id), lambda j: j["epoch"] >= 1 and j["status"] == "running"
                           and service.load_file(settings, job_id, "checkpoint.keras") is not None,
                           timeout=120, interval=0.05, what="the first epoch's checkpoint")
            assert job["worker"].endswith(f":{first.pid}")
            first.kill9()  # mid-job: no goodbye, no cleanup
        finally:
            first.stop()
        killed_at = job_json(client, job_id)
        assert killed_at["status"] == "running" and killed_at["epoch"] < 4
        second = Worker(settings, "second")
        try:
            job = wait_done(client, job_id, timeout=180)
        finally:
            second.stop()
        assert job["status"] == "succeeded", job
        assert job["worker"].endswith(f":{second.pid}") and job["attempts"] == 2
        assert [h["epoch"] for h in job["history"]] == [1, 2, 3, 4]
        resumed_from = client.get(f"/api/jobs/{job_id}").json()
        assert resumed_from["test_accuracy"] > 0.8
    # the second worker went on from the checkpoint, not from scratch
    progress = service.get_job(settings, job_id).progress
    assert 1 <= progress["resumed_from"] <= killed_at["epoch"] + 1
    assert "resum" in second.text() or f"job {job_id}" in second.text()
    # restarting the web server loses neither the record nor the model
    with TestClient(create_app(settings)) as restarted:
        again = job_json(restarted, job_id)
        assert again["status"] == "succeeded" and again["history"] == job["history"]
        assert restarted.get(f"/api/jobs/{job_id}/model").status_code == 200


def _running_job(settings, attempts: int, seconds_since_beat: float) -> str:
    job_id = service.new_job_id()
    past = utcnow() - timedelta(seconds=seconds_since_beat)
    with session_scope(settings.database_url_resolved) as s:
        s.add(Job(id=job_id, kind="train", params=TINY, owner="b", status="running", created=past, started=past,
                  heartbeat=past, attempts=attempts, worker="gone:1", progress={"stage": "training", "epoch": 1}))
    return job_id


def test_stale_heartbeat_requeues_then_gives_up_with_a_reason(tmp_path, shared):
    settings = job_settings(tmp_path / "data", shared)
    settings.data_dir.mkdir(parents=True)
    init_db(settings.database_url_resolved)
    alive = _running_job(settings, attempts=1, seconds_since_beat=1)  # beating: left alone
    dead = _running_job(settings, attempts=1, seconds_since_beat=HEARTBEAT_S + 5)
    hopeless = _running_job(settings, attempts=service.MAX_ATTEMPTS, seconds_since_beat=HEARTBEAT_S + 5)
    before = pending_count(settings)
    touched = service.reap_stale(settings)
    assert sorted(touched) == sorted([dead, hopeless])
    assert service.get_job(settings, alive).status == "running"
    assert service.get_job(settings, dead).status == "queued" and pending_count(settings) == before + 1
    assert service.get_job(settings, hopeless).status == "failed"
    with TestClient(create_app(settings)) as client:
        zh = job_json(client, hopeless)
        en = client.get(f"/api/jobs/{hopeless}", headers={"accept-language": "en"}).json()
    assert zh["error_code"] == "jobs.error_lost" and "工作站" in zh["error"]
    assert "workers stopped" in en["error"]
    assert service.reap_stale(settings) == []  # idempotent


def test_a_job_past_its_timeout_stops_and_fails_with_the_reason(tmp_path, shared):
    """The worker's own check (run in this process): training stops at the next batch."""
    from app.jobs.tasks import execute_job

    settings = job_settings(tmp_path / "data", shared, job_timeout_s=1)
    settings.data_dir.mkdir(parents=True)
    init_db(settings.database_url_resolved)
    job_id = service.submit_job(settings, "train", {**TINY, "epochs": 50, "train_subset": 20_000}, "b")
    t0 = time.time()
    execute_job(settings, job_id)
    job = service.get_job(settings, job_id)
    assert job.status == "failed" and job.error == "jobs.error_timeout"
    assert time.time() - t0 < 60 and len(job.progress.get("history", [])) < 50
    # the reaper backs the worker up for a worker that hangs but keeps beating
    late = _running_job(settings, attempts=1, seconds_since_beat=0)
    with session_scope(settings.database_url_resolved) as s:
        s.execute(update(Job).where(Job.id == late).values(started=utcnow() - timedelta(seconds=3600)))
    service.reap_stale(settings)
    assert service.get_job(settings, late).error == "jobs.error_timeout"


def test_a_restarted_worker_requeues_what_a_dead_process_on_its_host_left_running(tmp_path, shared):
    import os
    import socket
    import subprocess

    settings = job_settings(tmp_path / "data", shared)
    settings.data_dir.mkdir(parents=True)
    init_db(settings.database_url_resolved)
    gone = subprocess.Popen(["true"])
    gone.wait()
    host = socket.gethostname()
    orphan = _running_job(settings, attempts=1, seconds_since_beat=0)  # still "beating": a fresh stop
    mine = _running_job(settings, attempts=1, seconds_since_beat=0)
    other_host = _running_job(settings, attempts=1, seconds_since_beat=0)
    with session_scope(settings.database_url_resolved) as s:
        s.execute(update(Job).where(Job.id == orphan).values(worker=f"{host}:{gone.pid}"))
        s.execute(update(Job).where(Job.id == mine).values(worker=f"{host}:{os.getpid()}"))
        s.execute(update(Job).where(Job.id == other_host).values(worker=f"elsewhere:{gone.pid}"))
    assert service.requeue_orphans(settings, host) == [orphan]
    assert [service.get_job(settings, j).status for j in (orphan, mine, other_host)] == ["queued", "running", "running"]
