"""A text job end to end on a real worker process: POST /api/jobs kind "text" → queue → worker →
a sample line after every epoch → a model that the generator then writes with (numpy, no Keras)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.jobs.conftest import Worker, job_json, job_settings, wait_for

pytestmark = pytest.mark.slow

TINY_TEXT = {"kind": "text", "corpus": "tang300", "cell": "gru", "units": 16, "embedding": 8, "sequence_length": 16,
             "batch_size": 32, "learning_rate": 0.01, "epochs": 2, "subset": 3000}


def test_a_text_job_trains_on_a_worker_with_a_sample_per_epoch(tmp_path, shared):
    settings = job_settings(tmp_path / "data", shared)
    with TestClient(create_app(settings)) as client:
        worker = Worker(settings)
        try:
            r = client.post("/api/jobs", json=TINY_TEXT)
            assert r.status_code == 201, r.text
            job_id = r.json()["id"]
            job = wait_for(lambda: job_json(client, job_id), lambda j: j["status"] not in ("queued", "running"),
                           timeout=180, what="the text job")
        finally:
            worker.stop()
        assert job["status"] == "succeeded", job
        assert job["worker"].endswith(f":{worker.pid}"), "it ran in the worker process"
        assert [h["epoch"] for h in job["history"]] == [1, 2] and all("loss" in h for h in job["history"])
        assert [s["epoch"] for s in job["samples"]] == [1, 2], "one line per epoch"
        for s in job["samples"]:
            assert s["text"].startswith("春") and 1 <= len(s["text"]) <= 25 and "\n" not in s["text"]
        page = client.get(f"/train/jobs/{job_id}")
        assert page.status_code == 200 and job["samples"][-1]["text"] in page.text and 'id="use-in-text"' in page.text
        # the trained model writes in the generator, for its owner
        r = client.post("/api/text/generate", json={"model": job_id, "prompt": "床前", "length": 5, "temperature": 0})
        assert r.status_code == 200, r.text
        assert len(r.json()["steps"]) == 5
        assert job_id in [m["id"] for m in client.get("/api/text/models").json()]
        assert client.get(f"/api/jobs/{job_id}/model").headers["content-disposition"].endswith(f'poems-{job_id}.keras"')


def test_a_killed_worker_s_text_job_resumes_from_its_last_epoch(tmp_path, shared):
    from app.jobs import service

    settings = job_settings(tmp_path / "data", shared)
    design = {**TINY_TEXT, "epochs": 3, "subset": 20_000, "batch_size": 8, "units": 32}
    with TestClient(create_app(settings)) as client:
        first = Worker(settings, "first")
        try:
            job_id = client.post("/api/jobs", json=design).json()["id"]
            wait_for(lambda: job_json(client, job_id), lambda j: j["epoch"] >= 1 and j["status"] == "running"
                     and service.load_file(settings, job_id, "checkpoint.keras") is not None,
                     timeout=120, interval=0.05, what="the first epoch's checkpoint")
            first.kill9()  # mid-job
        finally:
            first.stop()
        killed_at = job_json(client, job_id)
        assert killed_at["status"] == "running" and killed_at["epoch"] < 3
        second = Worker(settings, "second")
        try:
            job = wait_for(lambda: job_json(client, job_id), lambda j: j["status"] not in ("queued", "running"),
                           timeout=240, what="the resumed job")
        finally:
            second.stop()
    assert job["status"] == "succeeded" and job["attempts"] == 2 and job["worker"].endswith(f":{second.pid}")
    assert [h["epoch"] for h in job["history"]] == [1, 2, 3]
    assert [s["epoch"] for s in job["samples"]] == [1, 2, 3], "the lines written before the crash are kept"
    assert 1 <= service.get_job(settings, job_id).progress["resumed_from"] <= killed_at["epoch"] + 1
    assert service.load_file(settings, job_id, "checkpoint.keras") is None, "the checkpoint is gone once done"
