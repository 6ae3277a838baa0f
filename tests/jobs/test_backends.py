"""The worker is pure Keras 3: the same job trains under KERAS_BACKEND=jax (what a GPU host runs).

JAX is not a dependency of the web app (GPU hosts install jax[cuda12]); this test runs where JAX
is installed, as in this project's development environment."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.jobs.conftest import TINY, Worker, job_settings, wait_done

pytestmark = pytest.mark.slow


def test_a_jax_worker_trains_the_same_job(tmp_path, shared):
    pytest.importorskip("jax")
    settings = job_settings(tmp_path / "data", shared)
    with TestClient(create_app(settings)) as client:
        worker = Worker(settings, "jax", args=("--backend", "jax"))
        try:
            job_id = client.post("/api/jobs", json={**TINY, "epochs": 2}).json()["id"]
            job = wait_done(client, job_id, timeout=180)
        finally:
            worker.stop()
        assert job["status"] == "succeeded", job
        assert job["backend"] == "jax" and job["device"] == "CPU"
        assert [h["epoch"] for h in job["history"]] == [1, 2] and job["test_accuracy"] > 0.6
        assert client.get(f"/api/jobs/{job_id}/model").status_code == 200
    assert (settings.data_dir / "cache" / "jax").is_dir()  # compiled programs kept across jobs
