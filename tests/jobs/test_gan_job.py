"""The "gan" job kind end to end with a real worker process: submit → worker → a grid of digits
per epoch on the job page → POST /api/gan/generate with the job's generator; bad input is 422."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from tests.jobs.conftest import Worker, job_settings, wait_done

pytestmark = pytest.mark.slow
TINY_GAN = {"kind": "gan", "dataset": "mnist", "epochs": 2, "batch_size": 64, "latent_dim": 16,
            "learning_rate": 0.0002, "train_subset": 640}


@pytest.fixture(scope="module")
def env(tmp_path_factory, shared):
    settings = job_settings(tmp_path_factory.mktemp("gan") / "data", shared)
    with TestClient(create_app(settings)) as client:
        worker = Worker(settings)
        try:
            yield settings, client, worker
        finally:
            worker.stop()


def test_a_gan_trains_on_the_worker_with_a_grid_per_epoch(env):
    settings, client, worker = env
    r = client.post("/api/jobs", json=TINY_GAN)  # the generic job API takes {"kind": "gan"} too
    assert r.status_code == 201, r.text
    job_id = r.json()["id"]
    assert r.json()["url"] == f"/gan/jobs/{job_id}" and r.json()["parameters"] == 10 * 16 + 32 * 256 + 256 + 256 * 512 + 512 + 512 * 784 + 784
    page = client.get(f"/gan/jobs/{job_id}")
    assert page.status_code == 200 and 'hx-trigger="every 2s"' in page.text  # polls while it runs
    job = wait_done(client, job_id, timeout=240)
    assert job["status"] == "succeeded", job
    assert job["kind"] == "gan" and job["worker"].endswith(f":{worker.pid}")
    assert [h["epoch"] for h in job["history"]] == [1, 2]
    assert all({"d_loss", "g_loss", "seconds"} <= set(h) for h in job["history"])
    for epoch in (1, 2):
        png = client.get(f"/gan/jobs/{job_id}/grid/{epoch}.png")
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(png.content)).size == (8 * 28, 10 * 28)  # 8 samples × digits 0–9
    assert client.get(f"/gan/jobs/{job_id}/grid/3.png").status_code == 404
    page = client.get(f"/gan/jobs/{job_id}", headers={"accept-language": "en"})
    assert page.text.count(f"/gan/jobs/{job_id}/grid/") == 2 and "After epoch 2" in page.text
    assert "every 2s" not in page.text  # finished: no more polling
    assert f'href="/gan/digits?model={job_id}' in page.text
    mine = client.get(f"/gan/digits?model={job_id}&digit=4&seed=2")
    assert mine.status_code == 200 and mine.text.count('class="gan-tile ') == 16
    out = client.post("/api/gan/generate", json={"model": job_id, "digit": 3, "count": 5, "seed": 1}).json()
    assert len(out["images"]) == 5 and all(len(im) == 28 and len(im[0]) == 28 for im in out["images"])
    assert all(0 <= v <= 255 for im in out["images"] for row in im for v in row)
    assert len(out["cnn"]) == 5 and all(0 <= c["digit"] <= 9 and 0 < c["probability"] <= 1 for c in out["cnn"])
    again = client.post("/api/gan/generate", json={"model": job_id, "digit": 3, "count": 5, "seed": 1}).json()
    assert again == out  # the seed picks the noise


@pytest.mark.parametrize("body, zh, en", [
    ({"epochs": 0}, "不能小於 1", "at least 1"),
    ({"epochs": 1000}, "不能大於 30", "at most 30"),
    ({"learning_rate": 1}, "不能大於 0.01", "at most 0.01"),
    ({"dataset": "cifar"}, "其中之一", "mnist"),
    ({"layers": 3}, "", ""),
])
def test_bad_gan_jobs_are_422(env, body, zh, en):
    _, client, _ = env
    for lang, text in (("zh-TW", zh), ("en", en)):
        r = client.post("/api/jobs", json={**TINY_GAN, **body}, headers={"accept-language": lang})
        assert r.status_code == 422 and text in r.json()["detail"], r.json()


@pytest.mark.parametrize("body, status, zh, en", [
    ({"model": "default", "digit": 12}, 422, "不能大於 9", "at most 9"),
    ({"model": "default", "digit": 3, "count": 10_000}, 422, "不能大於 64", "at most 64"),
    ({"model": "nosuchjob", "digit": 3}, 404, "找不到生成器", "No generator"),
])
def test_bad_generate_requests(env, body, status, zh, en):
    _, client, _ = env
    for lang, text in (("zh-TW", zh), ("en", en)):
        r = client.post("/api/gan/generate", json=body, headers={"accept-language": lang})
        assert r.status_code == status and text in r.json()["detail"], r.json()
