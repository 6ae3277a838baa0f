"""The job page while a job trains: the bar and the words move inside the first epoch (from the batch
points the worker's Reporter writes), and the page shows the design it trains."""

from __future__ import annotations

import re
import time

from app.jobs.progress import MIN_WRITE_INTERVAL_S, Reporter
from app.jobs.tasks import claim

TINY = {"architecture": "dnn", "hidden_layers": [16], "batch_size": 10, "epochs": 1, "train_subset": 1000,
        "optimizer": "adam", "learning_rate": 0.01}


def test_a_one_epoch_job_shows_its_batches_and_its_design(client, settings):
    r = client.post("/api/jobs", json=TINY)
    assert r.status_code == 201, r.text
    job_id = r.json()["id"]
    page = client.get(f"/train/jobs/{job_id}").text
    design = page[page.index('id="job-design"'):].split("</section>")[0]
    assert 'aria-label="這次訓練的網路"' in page and "784 → 16 → 10" in design and "Adam" in design
    assert "批次大小 batch_size</b> 10" in design and "<b>" in design

    assert claim(settings, job_id, "test-worker") is not None  # what a worker does first
    reporter = Reporter(settings, job_id)
    reporter.begin_training(epochs=1, steps_per_epoch=100)
    time.sleep(MIN_WRITE_INTERVAL_S + 0.1)
    reporter.batch(0.4, {"loss": 1.2, "accuracy": 0.6})  # 40 of the first epoch's 100 batches
    fragment = client.get(f"/train/jobs/{job_id}/progress").text
    assert re.search(r'meter-fill" style="width: 40.0%', fragment), fragment
    assert 'aria-valuenow="40"' in fragment
    assert "正在跑第 1 / 1 輪：第 40 / 100 批" in fragment
    en = client.get(f"/train/jobs/{job_id}/progress", headers={"accept-language": "en"}).text
    assert "now in epoch 1 of 1: batch 40 of 100" in en
    assert 'aria-label="The network being trained"' in client.get(f"/train/jobs/{job_id}", headers={"accept-language": "en"}).text
