"""The default digit generator: `playground train-defaults --only gan-digits`.

Trains the conditional GAN of app/ml/gan.py on MNIST's 60 000 training digits and writes
`<out>/gan-digits.npz` (the generator's numbers, what POST /api/gan/generate runs) with a manifest
`<out>/gan-digits.json` recording how it was made and how good it is:

  fidelity   the share of generated digits that the digit lab's CNN (models/digits-cnn.keras,
             trained on real MNIST only, never on fakes) reads as the digit that was asked for
  diversity  the mean distance between two generated digits of the same kind, over the same for
             two real MNIST test digits of that kind (≈ 1: as varied as handwriting; ≪ 1: mode collapse)
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from app.ml import gan
from app.ml.gan import numpy_generate
from app.ml.mnist import as_model_input, load_mnist
from app.settings import Settings

MODEL_ID = "gan-digits"
PARAMS = {"epochs": 40, "batch_size": 128, "latent_dim": 64, "learning_rate": 2e-4, "seed": 2026}
PER_DIGIT = 200
CLASSIFIER = Path(__file__).resolve().parent.parent.parent / "models" / "digits-cnn.keras"


def mean_distance(images: np.ndarray) -> float:
    """Average Euclidean distance between two different images of the set (pixels in 0–1)."""
    flat = images.reshape(len(images), -1).astype(np.float64) / 255.0
    sq = (flat ** 2).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * flat @ flat.T, 0.0)
    n = len(flat)
    return float(np.sqrt(d2)[~np.eye(n, dtype=bool)].mean())


def measure(weights: dict, x_test: np.ndarray, y_test: np.ndarray, classifier=None, seed: int = 0) -> dict[str, Any]:
    if classifier is None:
        import keras

        classifier = keras.saving.load_model(CLASSIFIER)
    per_digit, ratios = {}, []
    for d in range(10):
        fakes = numpy_generate(weights, d, PER_DIGIT, seed=seed + d)
        read = classifier.predict(as_model_input(fakes), verbose=0).argmax(1)
        per_digit[str(d)] = float((read == d).mean())
        ratios.append(mean_distance(fakes) / mean_distance(x_test[y_test == d][:PER_DIGIT]))
    return {"fidelity": float(np.mean(list(per_digit.values()))), "fidelity_per_digit": per_digit,
            "diversity": float(np.mean(ratios)), "diversity_min": float(np.min(ratios)), "samples_per_digit": PER_DIGIT}


def train_gan_default(settings: Settings, out_dir: Path, epochs: int | None = None, say=print) -> dict[str, Any]:
    params = {**PARAMS, **({"epochs": epochs} if epochs else {})}
    data = load_mnist(settings)
    started, times = time.monotonic(), []
    last = [time.monotonic()]

    import keras

    classifier = keras.saving.load_model(CLASSIFIER)
    curve = []

    def on_epoch(epoch, logs, generator):
        times.append(round(time.monotonic() - last[0], 2))
        fakes = np.concatenate([gan.generate(generator, d, 50, seed=10_000 + d) for d in range(10)])
        quick = float((classifier.predict(as_model_input(fakes), verbose=0).argmax(1) == np.repeat(np.arange(10), 50)).mean())
        curve.append({"epoch": epoch, **{k: round(v, 4) for k, v in logs.items()}, "fidelity_500": quick, "seconds": times[-1]})
        say(f"{MODEL_ID} epoch {epoch}/{params['epochs']}: d_loss {logs['d_loss']:.3f} g_loss {logs['g_loss']:.3f} "
            f"fidelity {quick:.3f} ({times[-1]} s)")
        last[0] = time.monotonic()

    generator = gan.train(data.x_train, data.y_train, params["epochs"], seed=params["seed"], batch_size=params["batch_size"],
                          latent_dim=params["latent_dim"], learning_rate=params["learning_rate"], on_epoch=on_epoch)
    weights = gan.generator_weights(generator)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{MODEL_ID}.npz").write_bytes(gan.npz_bytes(weights))
    metrics = measure(weights, data.x_test, data.y_test, classifier)

    manifest = {
        "id": MODEL_ID, "task": "gan", "engine": "numpy", "file": f"{MODEL_ID}.npz",
        "title": {"zh-TW": "會寫數字的生成器（條件式 GAN）", "en": "A generator that writes digits (conditional GAN)"},
        "architecture": "G: [z (64), digit embedding (16)] → Dense 256 → Dense 512 → Dense 784 tanh; "
                        "D: [image 784, digit embedding (16)] → Dense 512 → Dense 256 → Dense 1 sigmoid",
        "parameters": params, "metrics": metrics, "history": curve,
        "train_seconds": round(time.monotonic() - started, 1), "data": data.source,
        "keras": keras.__version__, "backend": keras.backend.backend(),
        "created": datetime.now(timezone.utc).isoformat(),
        "reproduce": f"playground train-defaults --only {MODEL_ID}" + (f" --epochs {epochs}" if epochs else ""),
        "source": "app/ml/gan.py trained by app/ml/gan_default.py; fidelity read by models/digits-cnn.keras",
    }
    (out_dir / f"{MODEL_ID}.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return manifest
