"""Bench: the lecture's DNN, 2 epochs on MNIST, through the job system vs a plain model.fit.

    .venv/bin/python bench/training.py [--backend jax] [--rounds 2] [--epochs 2]

The job path: POST /api/jobs (in-process app) → huey (SQLite) → a real `playground worker`
process → GET /api/jobs/{id} until it succeeded; its time is the job's own record, from the moment
the API created it to the moment the worker recorded success (so it includes queueing, building,
compiling, the per-epoch checkpoint, the test-set evaluation and saving the model; the client
polls every 0.5 s, so as not to load the shared CPU, and that polling delay is not counted). The baseline: build + compile + model.fit of the same
model with the same data and validation in this process. Both processes are warmed up first
(Keras imported, data loaded, one tiny fit). Rounds alternate so drift in a shared CPU hits both.
Target: job / baseline ≤ 1.10.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None, help="KERAS_BACKEND for both sides (default: tensorflow)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--assets", default=str(ROOT.parent / "shared"))
    args = parser.parse_args()
    if args.backend:
        os.environ["KERAS_BACKEND"] = args.backend

    from fastapi.testclient import TestClient

    from app.jobs.worker import settings_env
    from app.main import create_app
    from app.ml import training
    from app.ml.design import TrainDesign
    from app.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="bench-training-"))
    settings = Settings(data_dir=tmp / "data", assets_dir=Path(args.assets), workers=0)
    settings.data_dir.mkdir(parents=True)
    design = TrainDesign(epochs=args.epochs)  # the lecture's DNN: 100-100, relu, mse, SGD 0.087, batch 100
    tiny = TrainDesign(hidden_layers=[8], epochs=1, train_subset=500)

    log = open(tmp / "worker.log", "w")
    cmd = [sys.executable, "-m", "app.cli", "worker"] + (["--backend", args.backend] if args.backend else [])
    worker = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **settings_env(settings), "TF_CPP_MIN_LOG_LEVEL": "2"},
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        with TestClient(create_app(settings)) as client:
            def run_job(d: TrainDesign) -> tuple[float, dict]:
                from datetime import datetime

                job_id = client.post("/api/jobs", json=d.model_dump()).json()["id"]
                while True:
                    time.sleep(0.5)
                    job = client.get(f"/api/jobs/{job_id}").json()
                    if job["status"] not in ("queued", "running"):
                        break
                assert job["status"] == "succeeded", job
                took = datetime.fromisoformat(job["finished"]) - datetime.fromisoformat(job["created"])
                job["on_worker_s"] = (datetime.fromisoformat(job["finished"]) - datetime.fromisoformat(job["started"])).total_seconds()
                return took.total_seconds(), job

            def run_plain(d: TrainDesign) -> tuple[float, list[float]]:
                data = training.training_data(settings, d)
                steps = -(-len(data["x_train"]) // d.batch_size)
                t0 = time.perf_counter()
                model = training.build_model(d)
                training.compile_model(model, d, steps)
                import keras

                class EpochTimer(keras.callbacks.Callback):
                    def on_epoch_begin(self, epoch, logs=None):
                        self.t = time.perf_counter()

                    def on_epoch_end(self, epoch, logs=None):
                        epochs.append(time.perf_counter() - self.t)

                epochs: list[float] = []
                training.fit(model, d, data, [EpochTimer()])
                return time.perf_counter() - t0, epochs

            # warm up both sides: imports, data, one tiny fit each
            run_plain(tiny)
            run_job(tiny)
            jobs, plains = [], []
            for r in range(args.rounds):
                plain_s, plain_epochs = run_plain(design)
                job_s, job = run_job(design)
                plains.append(plain_s)
                jobs.append(job_s)
                print(f"round {r + 1}: plain model.fit {plain_s:.2f} s (epochs {', '.join(f'{e:.2f}' for e in plain_epochs)} s) · "
                      f"job {job_s:.2f} s (on the worker {job['on_worker_s']:.2f} s; epochs {', '.join(str(h['seconds']) for h in job['history'])} s, "
                      f"test accuracy {job['test_accuracy']:.4f}) on {job['device']} / {job['backend']}", flush=True)
            plain, job = statistics.median(plains), statistics.median(jobs)
            print(f"\nlecture DNN, {args.epochs} epochs, median of {args.rounds}: plain {plain:.2f} s, "
                  f"job via API + worker {job:.2f} s, ratio job/plain = {job / plain:.3f} (target ≤ 1.10)")
            print(f"fastest of each: plain {min(plains):.2f} s, job {min(jobs):.2f} s, ratio {min(jobs) / min(plains):.3f}")
    finally:
        worker.terminate()
        worker.wait(20)
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
