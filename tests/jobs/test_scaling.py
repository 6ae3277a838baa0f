"""Several machines, proved on one: the real local Redis (queue) and PostgreSQL (database), a web
server process and two worker processes that share nothing else (each has its own data folder,
as two GPU hosts would). Six jobs at once; each completes exactly once; killing one worker
mid-job loses nothing."""

from __future__ import annotations

import re

import pytest

from tests.conftest import LiveServer
from tests.jobs.conftest import HEARTBEAT_S, TINY, Worker, job_json, job_settings, wait_done, wait_for

pytestmark = pytest.mark.slow


def test_web_and_two_workers_on_redis_and_postgresql(tmp_path, shared, redis_url, postgres_url, http_client_factory):
    urls = {"database_url": postgres_url, "queue_url": redis_url}
    web_settings = job_settings(tmp_path / "web", shared, **urls)
    env = {"PLAYGROUND_DATABASE_URL": postgres_url, "PLAYGROUND_QUEUE_URL": redis_url,
           "PLAYGROUND_HEARTBEAT_TIMEOUT_S": str(HEARTBEAT_S)}

    web = LiveServer(web_settings.data_dir, extra_env=env)
    workers = [Worker(job_settings(tmp_path / f"gpu{i}", shared, **urls), f"gpu{i}", wait=False) for i in (1, 2)]
    try:
        for w in workers:
            w.wait_ready()
        # three learners, two jobs each (the per-browser limit), all submitted at once
        browsers = [http_client_factory(web.url) for _ in range(3)]
        design = {**TINY, "hidden_layers": [128], "train_subset": 4000, "batch_size": 32, "epochs": 3}
        job_ids = []
        for b in browsers:
            b.get("/")  # the browser-id cookie
            for _ in range(2):
                r = b.post("/api/jobs", json=design)
                assert r.status_code == 201, r.text
                job_ids.append(r.json()["id"])
        observer = browsers[0]
        # both workers take jobs; kill one as soon as it is in the middle of one
        victim = workers[0]
        running = wait_for(
            lambda: [job_json(observer, j) for j in job_ids],
            lambda jobs: any(j["status"] == "running" and j["worker"].endswith(f":{victim.pid}") and j["batches"] for j in jobs),
            timeout=180, interval=0.1, what="a job in the middle on the first worker")
        killed_job = next(j["id"] for j in running if j["status"] == "running" and j["worker"].endswith(f":{victim.pid}"))
        victim.kill9()
        finals = {j: wait_done(observer, j, timeout=300) for j in job_ids}
        # models trained on the "GPU hosts" reach the web host through the database alone
        assert observer.get(f"/api/jobs/{job_ids[0]}/model").status_code == 200
        assert (web_settings.user_models_dir / f"train-{job_ids[0]}" / "model.keras").exists()
    finally:
        web.stop()
        for w in workers:
            w.stop()
    assert {j: f["status"] for j, f in finals.items()} == {j: "succeeded" for j in job_ids}
    survivor = workers[1]
    assert finals[killed_job]["worker"].endswith(f":{survivor.pid}") and finals[killed_job]["attempts"] == 2
    # exactly once: every job succeeded in exactly one worker's log, and ran at most twice in all
    logs = victim.text() + survivor.text()
    for j in job_ids:
        assert len(re.findall(rf"job {j} succeeded", logs)) == 1, j
        assert finals[j]["attempts"] == (2 if j == killed_job else 1)
        assert [h["epoch"] for h in finals[j]["history"]] == [1, 2, 3]
    assert "succeeded" not in victim.text().split(killed_job)[-1]
    # both workers did work before the kill (the queue spread the jobs)
    assert "job " in victim.text() and survivor.text().count(" succeeded") >= 3
