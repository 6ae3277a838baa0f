"""`playground train-defaults` end to end, shortened to one epoch of the DNN: it writes a .keras,
a .tflite and a manifest that the registry serves, and never looks at the test split to choose."""

from __future__ import annotations

import json

import numpy as np

from app.cli import main
from app.ml.registry import ModelRegistry
from app.ml.train_defaults import random_shift


def test_train_defaults_writes_a_servable_model(tmp_path, settings, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_ASSETS_DIR", str(settings.assets_dir))
    from app.settings import get_settings

    get_settings.cache_clear()
    try:
        assert main(["train-defaults", "--out", str(tmp_path), "--only", "digits-dnn", "--epochs", "1"]) == 0
    finally:
        get_settings.cache_clear()
    manifest = json.loads((tmp_path / "digits-dnn.json").read_text(encoding="utf-8"))
    assert manifest["reproduce"] == "playground train-defaults --only digits-dnn --epochs 1"
    assert manifest["data"]["train"] == 55_000 and manifest["data"]["test"] == 10_000
    assert 0.9 < manifest["metrics"]["test_accuracy"] < 1
    registry = ModelRegistry(settings, builtin_dir=tmp_path)
    p = registry.predictor("digits-dnn").predict(np.zeros((1, 28, 28, 1), np.float32))
    assert p.shape == (1, 10) and abs(float(p.sum()) - 1) < 1e-5


def test_random_shift_moves_digits_by_at_most_the_limit():
    rng = np.random.default_rng(0)
    images = np.zeros((50, 28, 28), np.uint8)
    images[:, 14, 14] = 255  # one dot in the middle
    moved = random_shift(images, 2, rng)
    rows, cols = np.divmod(moved.reshape(50, -1).argmax(axis=1), 28)
    assert (np.abs(rows - 14) <= 2).all() and (np.abs(cols - 14) <= 2).all() and len(set(zip(rows, cols))) > 5
    assert (moved.reshape(50, -1).max(axis=1) == 255).all()  # nothing falls off the edge
