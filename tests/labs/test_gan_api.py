"""The default digit generator committed in models/: POST /api/gan/generate gives the digit asked
for (read by the digit lab's CNN, which never saw a fake) and not the same digit over and over."""

import json

import numpy as np

from app.labs.gan import DEFAULT_WEIGHTS
from app.ml.gan_default import mean_distance


def test_default_generator_writes_the_digit_asked_for(client, shared):
    with np.load(shared / "datasets" / "mnist.npz") as data:
        x_test, y_test = data["x_test"], data["y_test"]
    right, ratios = [], []
    for digit in range(10):
        r = client.post("/api/gan/generate", json={"model": "default", "digit": digit, "count": 64, "seed": 100 + digit})
        assert r.status_code == 200, r.text
        body = r.json()
        images = np.array(body["images"], dtype=np.uint8)
        assert images.shape == (64, 28, 28)
        assert images[:, 0, :].mean() < 30 and images.max() > 200  # white digits on black, as in MNIST
        right += [c["digit"] == digit for c in body["cnn"]]
        ratios.append(mean_distance(images) / mean_distance(x_test[y_test == digit][:64]))
    assert np.mean(right) >= 0.9, f"the CNN read {np.mean(right):.1%} of the fakes as the digit asked for"
    assert min(ratios) > 0.5, f"too alike (mode collapse): {np.round(ratios, 2)}"  # real handwriting = 1


def test_manifest_records_how_it_was_made():
    manifest = json.loads(DEFAULT_WEIGHTS.with_suffix(".json").read_text())
    assert manifest["id"] == "gan-digits" and manifest["task"] == "gan" and manifest["file"] == DEFAULT_WEIGHTS.name
    assert manifest["metrics"]["fidelity"] >= 0.9 and manifest["metrics"]["diversity"] > 0.5
    assert manifest["reproduce"].startswith("playground train-defaults --only gan-digits")
    assert DEFAULT_WEIGHTS.stat().st_size < 5_000_000  # small enough to commit
