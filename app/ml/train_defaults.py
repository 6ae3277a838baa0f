"""Train the default models: the two digit models the digit lab serves (`playground train-defaults`)
and the poem model of /text (app/ml/text_defaults.py).

    the lecture's DNN: 28×28 → flatten 784 → Dense 100 → Dense 100 → Dense 10 softmax
    the lecture's CNN: Conv 16 → pool → Conv 32 → pool → Conv 64 → pool → Dense 64 → Dense 10 softmax

Data: MNIST's 60 000 training images, of which the last VALIDATION images are held out to pick
the best epoch; the 10 000 test images are only used once, at the end, to report accuracy.
Each model is written as `<out>/<id>.keras` (Keras) and `<out>/<id>.tflite` (LiteRT, what the
server runs) with a manifest `<out>/<id>.json` recording how it was made.

This script is the only digit code that needs TensorFlow (for the LiteRT export); the web
server and the worker only load the results.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from app.ml.mnist import as_model_input, load_mnist
from app.ml.text_defaults import MODEL_ID as POEM_MODEL
from app.ml.text_defaults import train_poem_model
from app.ml.predictors import LiteRTPredictor
from app.settings import Settings

VALIDATION = 5000
SEED = 2026
LABELS = [str(d) for d in range(10)]

# Hyper-parameters of the defaults; the manifest records them.
DEFAULTS: dict[str, dict[str, Any]] = {
    "digits-dnn": {
        "kind": "dnn",
        "hidden_layers": [100, 100],
        "activation": "relu",
        "epochs": 15,
        "batch_size": 128,
        "learning_rate": 1e-3,
        "shift": 0,  # no shifting: a DNN has no notion of "the same stroke, 2 pixels left"
        "title": {"zh-TW": "DNN（全連接）784→100→100→10", "en": "DNN (fully connected) 784→100→100→10"},
    },
    "digits-cnn": {
        "kind": "cnn",
        "conv_blocks": [
            {"filters": 16, "kernel_size": 3, "padding": "same", "pool": 2},
            {"filters": 32, "kernel_size": 3, "padding": "same", "pool": 2},
            {"filters": 64, "kernel_size": 3, "padding": "same", "pool": 2},
        ],
        "dense_layers": [64],
        "activation": "relu",
        "epochs": 10,
        "batch_size": 128,
        "learning_rate": 1e-3,
        "shift": 2,  # random shifts of up to 2 pixels: hand drawings are never centred exactly like MNIST
        "title": {"zh-TW": "CNN（卷積）16→32→64→64→10", "en": "CNN (convolutional) 16→32→64→64→10"},
    },
}


def random_shift(images: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Each image moved by up to max_shift pixels in x and y (empty paper comes in at the edge)."""
    if max_shift <= 0:
        return images
    n, h, w = images.shape[:3]
    padded = np.pad(images, ((0, 0), (max_shift, max_shift), (max_shift, max_shift)) + ((0, 0),) * (images.ndim - 3))
    dy = rng.integers(0, 2 * max_shift + 1, n)
    dx = rng.integers(0, 2 * max_shift + 1, n)
    out = np.empty_like(images)
    for i in range(n):
        out[i] = padded[i, dy[i] : dy[i] + h, dx[i] : dx[i] + w]
    return out


def build(params: dict[str, Any]):
    from app.ml.networks import build_cnn, build_dnn

    if params["kind"] == "dnn":
        return build_dnn(params["hidden_layers"], activation=params["activation"])
    return build_cnn(params["conv_blocks"], params["dense_layers"], activation=params["activation"])


def fit_best(model_id: str, model, params: dict[str, Any], split: dict[str, np.ndarray], epochs: int) -> dict[str, Any]:
    """Train epoch by epoch on shifted copies; keep the weights of the best validation epoch."""
    import keras

    rng = np.random.default_rng(SEED)
    steps = epochs * int(np.ceil(len(split["x_train"]) / params["batch_size"]))
    schedule = keras.optimizers.schedules.CosineDecay(params["learning_rate"], decay_steps=steps)
    # sparse categorical cross-entropy = cross-entropy against the one-hot label
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    best = {"val_accuracy": -1.0, "epoch": 0, "weights": None, "history": []}
    started = time.time()
    for epoch in range(1, epochs + 1):
        x_epoch = random_shift(split["x_train"], params["shift"], rng)
        h = model.fit(x_epoch, split["y_train"], batch_size=params["batch_size"], epochs=1, verbose=0, shuffle=True)
        _loss, val_acc = model.evaluate(split["x_val"], split["y_val"], batch_size=1000, verbose=0)
        best["history"].append({"epoch": epoch, "loss": round(float(h.history["loss"][0]), 4), "val_accuracy": round(float(val_acc), 4)})
        print(f"{model_id} epoch {epoch}/{epochs}: loss {h.history['loss'][0]:.4f} val_accuracy {val_acc:.4f} "
              f"({time.time() - started:.0f} s)", flush=True)
        if val_acc > best["val_accuracy"]:
            best.update(val_accuracy=float(val_acc), epoch=epoch, weights=model.get_weights())
    model.set_weights(best["weights"])
    return best


def describe_architecture(model, params: dict[str, Any]) -> dict[str, Any]:
    architecture = {k: params[k] for k in ("kind", "hidden_layers", "conv_blocks", "dense_layers", "activation") if k in params}
    architecture["layers"] = [
        {"name": layer.name, "type": type(layer).__name__, "output_shape": list(layer.output.shape[1:])}
        for layer in model.layers
    ]
    architecture["parameters"] = int(model.count_params())
    return architecture


def make_manifest(model_id: str, params: dict[str, Any], model, data, split: dict, best: dict, epochs: int,
                  files: tuple[Path, Path], accuracy: tuple[float, float], train_seconds: float) -> dict[str, Any]:
    keras_path, tflite_path = files
    test_acc, litert_acc = accuracy
    return {
        "id": model_id,
        "task": "digits",
        "engine": "litert",
        "file": tflite_path.name,
        "keras_file": keras_path.name,
        "input": {"size": [28, 28, 1], "preprocess": "mnist"},
        "labels": LABELS,
        "title": params["title"],
        "architecture": describe_architecture(model, params),
        "data": {
            "dataset": "MNIST",
            "source": data.source,
            "train": len(split["x_train"]),
            "validation": f"last {VALIDATION} of the training split (picks the best epoch)",
            "test": len(split["x_test"]),
            "augmentation": f"random shifts up to {params['shift']} px" if params["shift"] else "none",
        },
        "hyperparameters": {
            "optimizer": "Adam",
            "learning_rate": params["learning_rate"],
            "schedule": "cosine decay to 0",
            "loss": "sparse_categorical_crossentropy",
            "batch_size": params["batch_size"],
            "epochs": epochs,
            "best_epoch": best["epoch"],
            "seed": SEED,
        },
        "metrics": {
            "test_accuracy": round(float(test_acc), 4),
            "test_accuracy_litert": round(float(litert_acc), 4),
            "val_accuracy": round(best["val_accuracy"], 4),
            "history": best["history"],
            "train_seconds": round(train_seconds, 1),
        },
        "reproduce": f"playground train-defaults --only {model_id}" + ("" if epochs == params["epochs"] else f" --epochs {epochs}"),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def train_one(model_id: str, params: dict[str, Any], data, out_dir: Path, epochs: int | None = None) -> dict[str, Any]:
    import keras

    keras.utils.set_random_seed(SEED)
    epochs = epochs or params["epochs"]
    x_all, y_all = as_model_input(data.x_train), data.y_train.astype("int64")
    split = {"x_train": x_all[:-VALIDATION], "y_train": y_all[:-VALIDATION], "x_val": x_all[-VALIDATION:],
             "y_val": y_all[-VALIDATION:], "x_test": as_model_input(data.x_test), "y_test": data.y_test.astype("int64")}
    started = time.time()
    model = build(params)
    best = fit_best(model_id, model, params, split, epochs)
    _loss, test_acc = model.evaluate(split["x_test"], split["y_test"], batch_size=1000, verbose=0)
    print(f"{model_id}: best epoch {best['epoch']}, test accuracy {test_acc:.4f}", flush=True)

    out_dir.mkdir(parents=True, exist_ok=True)
    keras_path, tflite_path = out_dir / f"{model_id}.keras", out_dir / f"{model_id}.tflite"
    clean = build(params)  # the same network without the optimizer's state: a smaller file
    clean.set_weights(model.get_weights())
    clean.save(keras_path)
    model.export(str(tflite_path), format="litert", verbose=False)
    litert_acc = litert_accuracy(tflite_path, split["x_test"], split["y_test"])
    print(f"{model_id}: LiteRT test accuracy {litert_acc:.4f}", flush=True)
    manifest = make_manifest(model_id, params, model, data, split, best, epochs, (keras_path, tflite_path),
                             (test_acc, litert_acc), time.time() - started)
    (out_dir / f"{model_id}.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def litert_accuracy(path: Path, x: np.ndarray, y: np.ndarray) -> float:
    """The exported file, run the way the server runs it, on the test split."""
    predictor = LiteRTPredictor(path, pool_size=1)
    predicted = predictor.predict(x).argmax(axis=1)
    return float((predicted == y).mean())


def train_defaults(settings: Settings, out_dir: Path, only: list[str] | None = None, epochs: int | None = None) -> list[dict]:
    digits = [model_id for model_id in DEFAULTS if not only or model_id in only]
    data = load_mnist(settings) if digits else None
    manifests = [train_one(model_id, DEFAULTS[model_id], data, out_dir, epochs) for model_id in digits]
    if not only or POEM_MODEL in only:  # the poem model of /text (app/ml/text_defaults.py)
        manifests.append(train_poem_model(out_dir, epochs))
    return manifests
