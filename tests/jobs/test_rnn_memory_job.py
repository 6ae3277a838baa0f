"""The rnn_memory job kind on a real worker process: one tiny case trains and its accuracy shows."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.jobs.conftest import Worker, job_settings, wait_done

pytestmark = pytest.mark.slow


def test_memory_task_trains_on_a_worker_and_the_page_shows_accuracy(tmp_path, shared):
    settings = job_settings(tmp_path / "data", shared)
    with TestClient(create_app(settings)) as client:
        worker = Worker(settings)
        try:
            r = client.post("/api/rnn/memory/jobs", json={"cells": ["lstm"], "lengths": [2], "units": 8, "epochs": 6})
            job = wait_done(client, r.json()["id"], timeout=180)
            assert job["status"] == "succeeded", job
            accuracy = job["result"]["accuracy"]["lstm"]["2"]
            assert accuracy > 0.9  # three symbols back is easy for an LSTM; guessing gives 0.25
            assert job["history"][0]["n"] == 2 and job["backend"]
            page = client.get(f"/rnn/memory/jobs/{job['id']}")
            assert f"{round(accuracy * 100)}%" in page.text and "every 2s" not in page.text  # done: no more polling
        finally:
            worker.stop()
