"""Packs: a JAX worker trains several queued same-shaped jobs as one program (app/jobs/packing.py,
app/ml/packed.py), and every job stays itself — its record, model file, cancel and crash recovery.

Real worker processes (`python -m app.cli worker --backend jax`) on tiny jobs (a subset of MNIST).
The jobs are queued before the worker starts, so that the worker finds them all at once.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.jobs import service
from app.main import create_app
from app.ml.registry import ModelRegistry
from tests.jobs.conftest import Worker, job_json, job_settings, wait_done, wait_for

pytestmark = pytest.mark.slow
JAX = ("--backend", "jax")

# The lecture's DNN in small: one shape, each student with their own η, seed and epochs.
SHAPE = {"architecture": "dnn", "hidden_layers": [32], "activation": "relu", "loss": "categorical_crossentropy",
         "optimizer": "sgd", "batch_size": 50, "train_subset": 1000}
STUDENTS = [{"learning_rate": 0.05, "seed": 1, "epochs": 1}, {"learning_rate": 0.2, "seed": 2, "epochs": 2},
            {"learning_rate": 0.5, "seed": 3, "epochs": 1}, {"learning_rate": 0.1, "seed": 4, "epochs": 2},
            {"learning_rate": 0.3, "seed": 5, "epochs": 2}]


def _settings(tmp_path, shared, name: str, **overrides):
    return job_settings(tmp_path / name, shared, max_jobs_per_browser=10, **overrides)


def _weights(client, settings, job_id: str):
    import keras

    path = settings.data_dir / f"{job_id}.keras"
    r = client.get(f"/api/jobs/{job_id}/model")
    assert r.status_code == 200
    path.write_bytes(r.content)
    return keras.saving.load_model(path)


def _train(tmp_path, shared, name: str, designs: list[dict], **overrides):
    """Queue the designs, then start one JAX worker: (settings, jobs as the API shows them, models)."""
    pytest.importorskip("jax")
    settings = _settings(tmp_path, shared, name, **overrides)
    with TestClient(create_app(settings)) as client:
        ids = [client.post("/api/jobs", json=d).json()["id"] for d in designs]
        worker = Worker(settings, name, args=JAX)
        try:
            jobs = [wait_done(client, job_id, timeout=240) for job_id in ids]
        finally:
            worker.stop()
        models = [_weights(client, settings, job_id) for job_id in ids]
        owner = client.cookies.get("pg_browser")
    return settings, jobs, models, owner, worker.text()


def test_a_pack_trains_each_job_as_itself_with_the_result_it_gets_alone(tmp_path, shared):
    designs = [{**SHAPE, **s} for s in STUDENTS]
    settings, packed, packed_models, owner, log = _train(tmp_path, shared, "packed", designs)
    assert "pack of 5 train jobs" in log
    # on a CPU the members are spread over one XLA device per core (3 left in epoch 2: one padding row on 2)
    assert f"'devices': {len(os.sched_getaffinity(0))}" in log
    registry = ModelRegistry(settings)
    for design, job, model in zip(designs, packed, packed_models):
        # its own record: outcome, the pack it trained in, its own epochs and curves
        assert job["status"] == "succeeded", job
        assert job["packed"] == 5 and job["backend"] == "jax" and job["attempts"] == 1
        assert [h["epoch"] for h in job["history"]] == list(range(1, design["epochs"] + 1))
        assert {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"} <= set(job["history"][-1])
        assert len(job["batches"]) >= 5 and job["batches"][-1]["x"] == design["epochs"]  # within-epoch points
        assert 0.5 < job["test_accuracy"] <= 1
        assert sum(map(sum, job["result"]["confusion"])) == 10_000
        assert service.get_job(settings, job["id"]).result["misclassified"]  # the mistakes browser's digits
        assert job["result"]["parameters"] == 784 * 32 + 32 + 32 * 10 + 10
        # its own model file: loads in Keras, predicts, carries its own learning rate, and is in the digit lab
        assert model.predict(np.zeros((2, 28, 28, 1), "float32"), verbose=0).shape == (2, 10)
        assert float(model.optimizer.learning_rate) == pytest.approx(design["learning_rate"])
        model_id = f"train-{job['id']}"
        assert model_id in [m.id for m in registry.manifests(task="digits", browser_id=owner)]
        assert registry.predictor(model_id).predict(np.zeros((1, 28, 28, 1), "float32")).shape == (1, 10)
    # the same jobs, one at a time on a JAX worker (pack size 1): the same weights, the same accuracy
    _, alone, alone_models, _, log = _train(tmp_path, shared, "alone", designs, pack_size=1)
    assert "pack of" not in log
    for job, solo, packed_model, solo_model in zip(packed, alone, packed_models, alone_models):
        assert solo["status"] == "succeeded" and solo["packed"] is None
        for w_pack, w_solo in zip(packed_model.get_weights(), solo_model.get_weights()):
            np.testing.assert_allclose(w_pack, w_solo, atol=2e-5)  # float rounding only
        assert abs(job["test_accuracy"] - solo["test_accuracy"]) <= 0.002
        assert job["history"][-1]["loss"] == pytest.approx(solo["history"][-1]["loss"], abs=1e-4)


def test_cancelling_one_job_of_a_pack_leaves_the_others_training(tmp_path, shared):
    pytest.importorskip("jax")
    settings = _settings(tmp_path, shared, "data")
    designs = [{**SHAPE, "train_subset": 20_000, "learning_rate": lr, "seed": i, "epochs": 3}
               for i, lr in enumerate([0.05, 0.1, 0.2])]
    with TestClient(create_app(settings)) as client:
        ids = [client.post("/api/jobs", json=d).json()["id"] for d in designs]
        worker = Worker(settings, "worker", args=JAX)
        try:
            wait_for(lambda: [job_json(client, i) for i in ids],
                     lambda jobs: all(j["status"] == "running" and j["packed"] == 3 and j["batches"] for j in jobs),
                     timeout=120, interval=0.1, what="the pack to train")
            assert client.post(f"/api/jobs/{ids[1]}/cancel").status_code == 200
            jobs = [wait_done(client, i, timeout=240) for i in ids]
        finally:
            worker.stop()
    assert [j["status"] for j in jobs] == ["succeeded", "cancelled", "succeeded"]
    assert len(jobs[1]["history"]) < 3 and jobs[1]["result"] is None
    assert all([h["epoch"] for h in jobs[i]["history"]] == [1, 2, 3] for i in (0, 2))
    assert service.load_file(settings, ids[1], "model.keras") is None


def test_kill_9_mid_pack_each_job_resumes_from_its_own_checkpoint(tmp_path, shared):
    pytest.importorskip("jax")
    settings = _settings(tmp_path, shared, "data")
    designs = [{**SHAPE, "train_subset": 20_000, "learning_rate": lr, "seed": i, "epochs": 3}
               for i, lr in enumerate([0.05, 0.1, 0.2])]
    with TestClient(create_app(settings)) as client:
        ids = [client.post("/api/jobs", json=d).json()["id"] for d in designs]
        first = Worker(settings, "first", args=JAX)
        try:
            wait_for(lambda: [service.load_file(settings, i, "checkpoint.keras") for i in ids],
                     lambda files: all(files), timeout=180, interval=0.05, what="every member's first checkpoint")
            first.kill9()  # mid-pack: no goodbye
        finally:
            first.stop()
        assert all(job_json(client, i)["status"] == "running" for i in ids)
        second = Worker(settings, "second", args=JAX)  # its housekeeping finds the stale heartbeats
        try:
            jobs = [wait_done(client, i, timeout=240) for i in ids]
        finally:
            second.stop()
    for job_id, job in zip(ids, jobs):
        assert job["status"] == "succeeded" and job["attempts"] == 2, job
        assert job["worker"].endswith(f":{second.pid}")
        assert [h["epoch"] for h in job["history"]] == [1, 2, 3]
        assert service.get_job(settings, job_id).progress["resumed_from"] >= 1


def test_a_jax_worker_makes_one_cpu_device_per_core_unless_told(monkeypatch):
    from app.jobs.worker import one_device_per_core
    from app.settings import Settings

    monkeypatch.delenv("XLA_FLAGS", raising=False)
    one_device_per_core(Settings())
    assert os.environ["XLA_FLAGS"] == f"--xla_force_host_platform_device_count={len(os.sched_getaffinity(0))}"
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=false")
    one_device_per_core(Settings(pack_cpu_devices=3))  # the setting, added to the flags already there
    assert os.environ["XLA_FLAGS"] == "--xla_cpu_enable_fast_math=false --xla_force_host_platform_device_count=3"
    one_device_per_core(Settings(pack_cpu_devices=5))  # flags that already say it win
    assert os.environ["XLA_FLAGS"].endswith("count=3")
