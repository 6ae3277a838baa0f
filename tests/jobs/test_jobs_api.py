"""The job API end to end with a real worker process: submit → queue → worker → live progress →
results, model file and digit-lab manifest; limits, forged values and cancellation."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.jobs.queue import pending_count
from app.main import create_app
from app.ml.registry import ModelRegistry
from tests.jobs.conftest import TINY, Worker, job_json, job_settings, wait_done, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(tmp_path_factory, shared):
    settings = job_settings(tmp_path_factory.mktemp("jobs") / "data", shared)
    with TestClient(create_app(settings)) as client:
        worker = Worker(settings)
        try:
            yield settings, client, worker
        finally:
            worker.stop()


def job_rows(settings) -> int:
    from sqlalchemy import func, select

    from app.db import session_scope
    from app.jobs.tables import Job

    with session_scope(settings.database_url_resolved) as s:
        return s.scalar(select(func.count()).select_from(Job))


def test_a_design_trains_on_a_worker_process_with_live_progress(env):
    settings, client, worker = env
    r = client.post("/api/jobs", json=TINY)
    assert r.status_code == 201, r.text
    job_id = r.json()["id"]
    assert r.json()["parameters"] == 784 * 16 + 16 + 16 * 10 + 10  # the layer table's count
    seen = set()

    def poll():
        j = job_json(client, job_id)
        seen.add(j["status"])
        return j

    job = wait_for(poll, lambda j: j["status"] not in ("queued", "running"), timeout=120, interval=0.05, what="the job")
    assert job["status"] == "succeeded", job
    assert "running" in seen or "queued" in seen  # it was not done before we looked
    # it ran in the worker process, not in the web process
    assert job["worker"].endswith(f":{worker.pid}") and job["backend"] == "tensorflow" and job["device"] == "CPU"
    assert [h["epoch"] for h in job["history"]] == [1, 2]
    for h in job["history"]:
        assert set(h) >= {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
    inside = [b["x"] for b in job["batches"] if b["x"] != int(b["x"])]
    assert len(inside) >= 4, "the curve has points within epochs"
    assert job["test_accuracy"] > 0.6  # 1000 digits, 2 epochs: far better than chance (0.1)
    assert job["error"] is None and job["epoch"] == 2
    mine = client.get("/api/jobs").json()
    assert job_id in [j["id"] for j in mine] and "batches" not in mine[0]
    online = client.get("/api/workers").json()
    assert [w["name"] for w in online] == [job["worker"]] and online[0]["backend"] == "tensorflow"


def test_results_model_file_and_digit_lab(env):
    settings, client, _ = env
    job_id = client.post("/api/jobs", json={**TINY, "epochs": 1}).json()["id"]
    job = wait_done(client, job_id)
    assert job["status"] == "succeeded"
    # the .keras file loads in Keras and reads digits
    r = client.get(f"/api/jobs/{job_id}/model")
    assert r.status_code == 200 and r.headers["content-disposition"].endswith('.keras"')
    import keras

    path = settings.data_dir / "downloaded.keras"
    path.write_bytes(r.content)
    model = keras.saving.load_model(path)
    assert model.predict(np.zeros((2, 28, 28, 1), "float32"), verbose=0).shape == (2, 10)
    # it is in the digit lab's model list for this browser only, and loads by link
    model_id = f"train-{job_id}"
    owner = client.cookies.get("pg_browser")
    registry = ModelRegistry(settings)
    assert model_id in [m.id for m in registry.manifests(task="digits", browser_id=owner)]
    assert model_id not in [m.id for m in registry.manifests(task="digits", browser_id="someone-else")]
    manifest = registry.manifest(model_id)
    assert manifest["input"] == {"size": [28, 28, 1], "preprocess": "mnist"} and manifest["labels"][7] == "7"
    assert manifest["metrics"]["test_accuracy"] == job["test_accuracy"] and manifest["owner"] == owner
    assert registry.predictor(model_id).predict(np.zeros((1, 28, 28, 1), "float32")).shape == (1, 10)
    r = client.get(f"/digits?model={model_id}")
    assert r.status_code == 200
    heard = []
    client.app.state.result_listeners.append(lambda request, lab, payload: heard.append((lab, payload)))
    # the job page: test accuracy, confusion matrix, the mistakes browser, a link to the digit lab
    page = client.get(f"/train/jobs/{job_id}").text
    assert 'id="test-accuracy"' in page and 'id="confusion"' in page and f"?model={model_id}" in page
    assert "hx-trigger=\"every 1s\"" not in page  # a finished job is not polled
    confusion = job["result"]["confusion"]
    assert sum(map(sum, confusion)) == 10_000  # every test digit, once
    r = client.get(f"/train/jobs/{job_id}/mistakes?mistake=3")
    assert r.status_code == 200 and "/train/digit/" in r.text and r.headers["hx-push-url"].endswith("mistake=3")
    # the classroom heard about it once (on the first view), and can list finished jobs best first
    client.get(f"/train/jobs/{job_id}")
    client.get(f"/train/jobs/{job_id}/progress")
    assert [(lab, p["job"], p["test_accuracy"]) for lab, p in heard] == [("train", job_id, job["test_accuracy"])]
    from app.jobs.service import finished_jobs

    board = finished_jobs(settings)
    assert job_id in [b["id"] for b in board] and board[0]["test_accuracy"] >= board[-1]["test_accuracy"]
    assert {b["model_id"] for b in board} >= {model_id}
    from PIL import Image

    png = client.get("/train/digit/0.png")
    assert png.status_code == 200 and Image.open(io.BytesIO(png.content)).size == (28, 28)


@pytest.mark.parametrize("change, field", [
    ({"epochs": 51}, "epochs"),
    ({"epochs": 0}, "epochs"),
    ({"hidden_layers": []}, "hidden_layers"),
    ({"hidden_layers": [10] * 6}, "hidden_layers"),
    ({"hidden_layers": [0]}, "hidden_layers"),
    ({"learning_rate": -1}, "learning_rate"),
    ({"loss": "hinge"}, "loss"),
    ({"batch_size": "lots"}, "batch_size"),
    ({"sneaky": 1}, "sneaky"),
    ({"architecture": "cnn", "conv_blocks": [{"filters": 8, "kernel_size": 9, "padding": "valid", "pool": 4}] * 3}, None),
    ({"hidden_layers": [4096, 4096]}, None),  # 20 M parameters > 5 M
])
def test_forged_or_out_of_range_designs_are_422_and_nothing_is_enqueued(env, change, field):
    settings, client, _ = env
    rows, pending = job_rows(settings), pending_count(settings)
    r = client.post("/api/jobs", json={**TINY, **change})
    assert r.status_code == 422, r.text
    assert r.json()["detail"] and r.json()["code"]
    assert job_rows(settings) == rows and pending_count(settings) == pending


def test_limit_messages_are_in_the_learners_language(env):
    _, client, _ = env
    zh = client.post("/api/jobs", json={**TINY, "hidden_layers": [4096, 4096]}).json()["detail"]
    en = client.post("/api/jobs", json={**TINY, "hidden_layers": [4096, 4096]}, headers={"accept-language": "en"}).json()["detail"]
    assert "參數" in zh and "5,000,000" in zh
    assert "parameters" in en and "5,000,000" in en
    r = client.post("/api/jobs", json={**TINY, "epochs": 99})
    assert "訓練輪數" in r.json()["detail"]


def test_per_browser_limit_and_cancelling(env):
    settings, client, _ = env
    long = {**TINY, "hidden_layers": [64], "epochs": 50, "train_subset": None, "batch_size": 32}
    first = client.post("/api/jobs", json=long).json()["id"]
    second = client.post("/api/jobs", json=long).json()["id"]
    rows = job_rows(settings)
    r = client.post("/api/jobs", json=TINY, headers={"accept-language": "en"})
    assert r.status_code == 429 and "2 jobs" in r.json()["detail"] and r.json()["code"] == "jobs.too_many"
    assert job_rows(settings) == rows  # nothing recorded, nothing enqueued
    # another browser is not limited by this one
    with TestClient(client.app) as other:
        r = other.post("/api/jobs", json={**TINY, "epochs": 1})
        assert r.status_code == 201
        third = r.json()["id"]
        assert other.post(f"/api/jobs/{first}/cancel").status_code == 403  # not yours
    # the queued one is cancelled at once, with a queue position before that
    assert job_json(client, second)["queue_position"] >= 1
    assert client.post(f"/api/jobs/{second}/cancel").json()["status"] == "cancelled"
    # the running one stops at its next batch
    wait_for(lambda: job_json(client, first), lambda j: j["status"] == "running" and len(j["batches"]) >= 2,
             timeout=90, what="the long job to be running")
    t0 = time.time()
    assert client.post(f"/api/jobs/{first}/cancel").status_code == 200
    job = wait_done(client, first, timeout=30)
    assert job["status"] == "cancelled" and time.time() - t0 < 15
    assert len(job["history"]) < 50
    assert wait_done(client, third)["status"] == "succeeded"  # the worker carries on with the next job
    assert job_json(client, second)["status"] == "cancelled"  # never ran


def test_progress_fragment_is_cheap_and_the_same_for_every_tab(env):
    _, client, _ = env
    job_id = client.post("/api/jobs", json={**TINY, "epochs": 1}).json()["id"]
    wait_done(client, job_id)
    with TestClient(client.app) as other_tab:
        a = client.get(f"/train/jobs/{job_id}/progress").text
        b = other_tab.get(f"/train/jobs/{job_id}/progress").text
    assert a.replace('class="button primary" id="use-in-digits"', "") and "loss-chart" in a and "acc-chart" in b
    t0 = time.perf_counter()
    for _ in range(20):
        client.get(f"/train/jobs/{job_id}/progress")
    per_poll_ms = (time.perf_counter() - t0) / 20 * 1000
    print(f"progress fragment: {per_poll_ms:.1f} ms per poll")
    assert per_poll_ms < 250
