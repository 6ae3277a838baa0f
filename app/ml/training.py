"""Training a learner's design on MNIST, in pure Keras 3 (TensorFlow, JAX or PyTorch backend).

`run_train_job` is the "train" job kind (app/jobs/kinds.py): it builds the design with
app.ml.networks, trains on the first 50 000 training digits, validates on the last 10 000,
tests on the 10 000 test digits (never trained on), and stores the model where the digit lab
finds it. After every epoch it saves a checkpoint (the whole .keras model, optimizer state
included) into the job's files, so a job whose worker was killed resumes from its last
completed epoch instead of starting over.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from app.errors import JobFailed
from app.ml.design import VALIDATION_SIZE, TrainDesign, describe
from app.ml.mnist import as_model_input, load_mnist, one_hot
from app.settings import Settings

log = logging.getLogger(__name__)

STEPS_PER_EXECUTION = 50  # steps run on the device per call: far less Python per batch (×20 on a GPU)
CHECKPOINT = "checkpoint.keras"
MODEL_FILE = "model.keras"
MAX_MISCLASSIFIED = 300


@lru_cache(maxsize=2)
def _prepared(npz_key: str, settings_json: str) -> dict[str, np.ndarray]:
    settings = Settings.model_validate_json(settings_json)
    m = load_mnist(settings)
    n_train = len(m.x_train) - VALIDATION_SIZE
    return {
        "x_train": as_model_input(m.x_train[:n_train]), "y_train": one_hot(m.y_train[:n_train]),
        "x_val": as_model_input(m.x_train[n_train:]), "y_val": one_hot(m.y_train[n_train:]),
        "x_test": as_model_input(m.x_test), "y_test": m.y_test.astype(np.int64),
    }


def mnist_arrays(settings: Settings) -> dict[str, np.ndarray]:
    """Model-ready MNIST, prepared once per worker process (it is read-only)."""
    return _prepared(str(settings.asset("datasets/mnist.npz")), settings.model_dump_json())


def warm_up(settings: Settings) -> None:
    """Load Keras and the data before the first job arrives. Offline with no assets folder the
    download fails: the worker still starts, and a job says why it cannot train."""
    import keras

    keras.utils.set_random_seed(0)  # its first call imports TensorFlow where installed (seconds)
    build_model(TrainDesign())  # the lecture's DNN once: its initialisers are compiled before the first job
    try:
        mnist_arrays(settings)
    except Exception as exc:  # keras.utils.get_file raises a bare Exception when offline
        log.warning("MNIST is not here yet (%s); the first training job will try again", exc)


def build_model(design: TrainDesign):
    import keras

    from app.ml.networks import build_cnn, build_dnn

    keras.utils.set_random_seed(design.seed)
    if design.architecture == "cnn":
        return build_cnn([b.model_dump() for b in design.conv_blocks], design.dense_layers, design.activation)
    return build_dnn(design.hidden_layers, design.activation)


def steps_per_execution(steps_per_epoch: int) -> int:
    """As many steps per device call as possible while still drawing ~10 points per epoch."""
    return max(1, min(STEPS_PER_EXECUTION, steps_per_epoch // 10))


def compile_model(model, design: TrainDesign, steps_per_epoch: int, optimizer=None) -> None:
    import keras

    if optimizer is None:
        optimizer = (keras.optimizers.SGD(learning_rate=design.learning_rate) if design.optimizer == "sgd"
                     else keras.optimizers.Adam(learning_rate=design.learning_rate))
    model.compile(loss=design.loss, optimizer=optimizer, metrics=["accuracy"],
                  steps_per_execution=steps_per_execution(steps_per_epoch))


def training_data(settings: Settings, design: TrainDesign) -> dict[str, np.ndarray]:
    try:
        data = dict(mnist_arrays(settings))
    except Exception as exc:  # offline with no assets: keras.utils.get_file raises a bare Exception
        log.warning("MNIST unavailable: %s", exc)
        raise JobFailed("jobs.error_no_mnist") from exc
    if design.train_subset:
        data["x_train"], data["y_train"] = data["x_train"][: design.train_subset], data["y_train"][: design.train_subset]
        data["x_val"], data["y_val"] = data["x_val"][: max(1000, design.train_subset // 5)], data["y_val"][: max(1000, design.train_subset // 5)]
    return data


def fit(model, design: TrainDesign, data: dict[str, np.ndarray], callbacks=(), initial_epoch: int = 0):
    """model.fit exactly as the bench's baseline calls it."""
    return model.fit(data["x_train"], data["y_train"], batch_size=design.batch_size, epochs=design.epochs,
                     validation_data=(data["x_val"], data["y_val"]), initial_epoch=initial_epoch,
                     callbacks=list(callbacks), verbose=0)


def model_bytes(model) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        model.save(path)
        return path.read_bytes()


def load_model_bytes(data: bytes):
    import keras

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        path.write_bytes(data)
        return keras.saving.load_model(path)


def evaluate(model, data: dict[str, np.ndarray], batch_size: int = 1000) -> dict[str, Any]:
    """Test accuracy, the 10×10 confusion matrix (rows: true digit, columns: answer) and the mistakes."""
    probs = np.concatenate([np.asarray(model(data["x_test"][i:i + batch_size], training=False))
                            for i in range(0, len(data["x_test"]), batch_size)])
    return metrics_from_probabilities(probs, data["y_test"])


def metrics_from_probabilities(probs: np.ndarray, y_true: np.ndarray) -> dict[str, Any]:
    """evaluate()'s answer from the model's [n, 10] outputs on the test digits (also app/ml/packed.py)."""
    y_pred = probs.argmax(axis=1)
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (y_true, y_pred), 1)
    wrong = np.flatnonzero(y_true != y_pred)
    # the most confident mistakes first: the most instructive ones
    wrong = wrong[np.argsort(-probs[wrong, y_pred[wrong]])][:MAX_MISCLASSIFIED]
    return {
        "test_accuracy": round(float((y_true == y_pred).mean()), 5),
        "confusion": confusion.tolist(),
        "misclassified": [[int(i), int(y_true[i]), int(y_pred[i]), round(float(probs[i, y_pred[i]]), 4)] for i in wrong],
    }


def _checkpoint_callback(reporter):
    import keras

    class EpochCheckpoint(keras.callbacks.Callback):
        """After each epoch but the last: the whole model into the job's files, with the history so far."""

        def on_epoch_end(self, epoch, logs=None):
            if self.model.stop_training or epoch + 1 >= self.params.get("epochs", 0):
                return
            history = [h for h in reporter.progress.get("history", []) if h["epoch"] <= epoch + 1]
            reporter.save_file(CHECKPOINT, model_bytes(self.model), {"epoch": epoch + 1, "history": history})

    return EpochCheckpoint()


def manifest_for(job_id: str, owner: str, design: TrainDesign, metrics: dict[str, Any]) -> dict[str, Any]:
    name = describe(design)
    pct = f"{metrics['test_accuracy'] * 100:.1f}%"
    return {
        "id": f"train-{job_id}", "task": "digits", "engine": "keras", "file": MODEL_FILE,
        "input": {"size": [28, 28, 1], "preprocess": "mnist"}, "labels": [str(d) for d in range(10)],
        "owner": owner,
        "title": {"zh-TW": f"我訓練的 {name}（測試準確率 {pct}）", "en": f"My {name} (test accuracy {pct})"},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "metrics": metrics, "design": design.model_dump(), "job": job_id,
    }


def run_train_job(settings: Settings, job_id: str, params: dict[str, Any], reporter) -> dict[str, Any]:
    """The "train" job kind (see app/jobs/kinds.py)."""
    design = TrainDesign.model_validate(params)
    reporter.stage("loading")
    data = training_data(settings, design)
    steps = -(-len(data["x_train"]) // design.batch_size)
    initial_epoch = 0
    checkpoint = reporter.load_file(CHECKPOINT)
    if checkpoint is not None:  # a worker died: carry on from the last completed epoch
        reporter.stage("resuming")
        model = load_model_bytes(checkpoint[0])
        compile_model(model, design, steps, optimizer=model.optimizer)
        initial_epoch = int(checkpoint[1]["epoch"])
        reporter.progress["history"] = checkpoint[1].get("history", [])
        reporter.progress["batches"] = [b for b in reporter.progress.get("batches", []) if b["x"] <= initial_epoch]
        reporter.progress["epoch"] = initial_epoch
        reporter.progress["resumed_from"] = initial_epoch
    else:
        reporter.stage("compiling")
        model = build_model(design)
        compile_model(model, design, steps)
    # progress first: the checkpoint then carries the history up to and including its epoch
    callbacks = [reporter.callback(design.epochs, steps), _checkpoint_callback(reporter)]
    fit(model, design, data, callbacks, initial_epoch=initial_epoch)
    if reporter.cancelled() or reporter.timed_out():
        return {}
    reporter.stage("testing")
    metrics = evaluate(model, data)
    manifest = manifest_for(job_id, reporter.owner, design, {"test_accuracy": metrics["test_accuracy"]})
    reporter.save_file(MODEL_FILE, model_bytes(model), {"model_id": manifest["id"]})
    reporter.delete_file(CHECKPOINT)
    result = {**metrics, "parameters": int(model.count_params()), "manifest": manifest,
              "history": reporter.progress.get("history", [])}
    return result
