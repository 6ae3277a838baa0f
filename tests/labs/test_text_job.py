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
