"""The "gan" job kind: a conditional GAN on MNIST (app/ml/gan.py), with a grid of generated digits
after every epoch kept with the job (grid-<epoch>.png) for the job page, and the generator kept
as generator.keras (Keras) and generator.npz (its numbers, what POST /api/gan/generate runs).

    run_gan_job(settings, job_id, params, reporter)     (app/jobs/kinds.py; worker side)
    params: {"dataset": "mnist", "epochs", "batch_size", "latent_dim", "learning_rate", "seed"}
"""

from __future__ import annotations

import time
from typing import Any

from app.ml import gan
from app.ml.mnist import load_mnist
from app.settings import Settings

GRID_FILE = "grid-{epoch}.png"
KERAS_FILE, WEIGHTS_FILE = "generator.keras", "generator.npz"


def run_gan_job(settings: Settings, job_id: str, params: dict, reporter) -> dict[str, Any]:
    started = time.monotonic()
    reporter.stage("loading")
    data = load_mnist(settings)
    epochs, batch_size = int(params.get("epochs", 5)), int(params.get("batch_size", gan.BATCH_SIZE))
    limit = params.get("train_subset")  # tests: a few hundred images
    x, y = (data.x_train[:limit], data.y_train[:limit]) if limit else (data.x_train, data.y_train)
    reporter.begin_training(epochs, max(1, len(x) // batch_size))
    epoch_start = [time.monotonic()]
    seconds: list[float] = []

    def on_epoch(epoch: int, logs: dict, generator) -> None:
        seconds.append(round(time.monotonic() - epoch_start[0], 3))
        reporter.save_file(GRID_FILE.format(epoch=epoch), gan.png_bytes(gan.sample_grid(generator)), {"epoch": epoch})
        reporter.batch(float(epoch), logs)
        reporter.epoch(epoch, logs, seconds[-1])
        epoch_start[0] = time.monotonic()

    def on_batch(at: float, logs: dict) -> bool:
        reporter.batch(at, logs)
        return reporter.cancelled() or reporter.timed_out()

    generator = gan.train(x, y, epochs, seed=int(params.get("seed", 0)), batch_size=batch_size,
                          latent_dim=int(params.get("latent_dim", gan.LATENT_DIM)),
                          learning_rate=float(params.get("learning_rate", gan.LEARNING_RATE)),
                          on_epoch=on_epoch, on_batch=on_batch)
    if reporter.cancelled() or reporter.timed_out():
        return {}
    reporter.stage("saving")
    reporter.save_file(WEIGHTS_FILE, gan.npz_bytes(gan.generator_weights(generator)), {})
    reporter.save_file(KERAS_FILE, keras_bytes(generator), {})
    return {"epochs": len(seconds), "epoch_seconds": seconds, "grids": [GRID_FILE.format(epoch=e + 1) for e in range(len(seconds))],
            "latent_dim": int(params.get("latent_dim", gan.LATENT_DIM)), "seconds": round(time.monotonic() - started, 3),
            "train_images": int(len(x))}


def keras_bytes(model) -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / KERAS_FILE
        model.save(path)
        return path.read_bytes()
