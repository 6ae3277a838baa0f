"""The "transfer" job kind: a learner's photos → embeddings → a trained head → their model.

    run_transfer_job(settings, job_id, params, reporter)     (app/jobs/kinds.py; worker side)

It reads the classifier's photos from the database (app/classifiers/store.py), embeds them and
their mirrored and zoomed views with the frozen base, trains the head (app/ml/transfer.py) with
live progress, scores it on the held-out photos, keeps head.keras and head.npz with the job, and
writes <data_dir>/models/<classifier id>/ so that the photo lab can use it at once.
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import numpy as np

from app.ml.transfer import (BASE_MODEL, BATCH_SIZE, EPOCHS, HEAD_FILE, VIEWS, WEIGHTS_FILE, base_parameter_count, embed,
                             head_predict, head_weights, keras_bytes, npz_bytes, split_holdout, train_head,
                             trained_parameter_count, write_model_folder)
from app.classifiers import store
from app.classifiers.store import TrainingSet
from app.errors import JobFailed
from app.ml.registry import ModelNotAvailable, ModelRegistry
from app.settings import Settings


@lru_cache(maxsize=2)
def _registry(settings_json: str):
    return ModelRegistry(Settings.model_validate_json(settings_json))


def worker_registry(settings: Settings):
    """One registry per worker process: the base model is loaded once, not once per job."""
    return _registry(settings.model_dump_json())


def make_manifest(ts: TrainingSet, job_id: str, base_id: str, base_input: dict, metrics: dict,
                  parameters: dict) -> dict[str, Any]:
    return {
        "id": ts.classifier_id,
        "task": "photos",
        "engine": "transfer",
        "base": base_id,
        "file": HEAD_FILE,
        "head_weights": WEIGHTS_FILE,
        "input": base_input,
        "labels": ts.class_names,
        "title": {"zh-TW": ts.name, "en": ts.name},
        "owner": ts.owner,
        "job": job_id,
        "created": datetime.now(timezone.utc).isoformat(),
        "metrics": metrics,
        "parameters": parameters,
        "source": f"A learner's classifier: frozen embeddings from {base_id} + a Dense softmax head "
                  "trained with Keras 3 on their photos (app/ml/transfer.py).",
    }


def embed_views(registry, ts: TrainingSet, train: np.ndarray, base_id: str, reporter):
    """Embeddings of every photo, then of the training photos again, mirrored and zoomed
    (validation photos stay as they are: new photos). None when the learner cancelled."""
    n = len(ts.jpegs)
    total = n + len(VIEWS) * len(train)
    reporter.stage("embedding", done=0, total=total)
    try:
        x = embed(registry, ts.jpegs, lambda done, _n: reporter.stage("embedding", done=done, total=total), base_id=base_id)
    except (ModelNotAvailable, KeyError):
        raise JobFailed("classifiers.error_base_missing", model=base_id) from None
    x_views, y_views, done_before = [x[train]], [ts.labels[train]], n
    for view in VIEWS:
        x_views.append(embed(registry, [ts.jpegs[i] for i in train],
                             lambda done, _n, d0=done_before: reporter.stage("embedding", done=d0 + done, total=total),
                             view, base_id))
        y_views.append(ts.labels[train])
        done_before += len(train)
        if reporter.cancelled():
            return None
    return x, np.concatenate(x_views), np.concatenate(y_views)


def score(weights, x: np.ndarray, ts: TrainingSet, train: np.ndarray, val: np.ndarray) -> dict[str, Any]:
    """The head on the held-out photos (guesses, confusion matrix, accuracy) and on the training ones."""
    n_classes = len(ts.class_names)
    x_val, y_val = x[val], ts.labels[val]
    p_val = head_predict(weights, x_val) if len(val) else np.zeros((0, n_classes))
    guess = p_val.argmax(axis=1) if len(val) else np.zeros(0, dtype=np.int64)
    confusion = np.zeros((n_classes, n_classes), dtype=int)
    for truth, g in zip(y_val, guess):
        confusion[int(truth), int(g)] += 1
    p_train = head_predict(weights, x[train])
    return {"guess": guess, "confusion": confusion,
            "val_accuracy": float((guess == y_val).mean()) if len(val) else None,
            "train_accuracy": float((p_train.argmax(axis=1) == ts.labels[train]).mean())}


def job_result(ts: TrainingSet, x: np.ndarray, val: np.ndarray, scores: dict, parameters: dict, base_id: str,
               base_manifest, manifest: dict, seconds: dict[str, float], seed: int) -> dict[str, Any]:
    return {
        "classifier_id": ts.classifier_id,
        "test_accuracy": scores["val_accuracy"],  # the generic job views' headline: here, on the held-out photos
        "val_accuracy": scores["val_accuracy"],
        "train_accuracy": scores["train_accuracy"],
        "parameters": parameters["trained"],
        "borrowed_parameters": parameters["borrowed"],
        "embedding_size": int(x.shape[1]),
        "classes": ts.class_names,
        "val_photo_ids": [ts.photo_ids[i] for i in val],
        "val_guesses": [int(g) for g in scores["guess"]],
        "val_confusion": scores["confusion"].tolist(),  # rows: true class, columns: the head's answer
        "embed_seconds": round(seconds["embed"], 3),
        "train_seconds": round(seconds["train"], 3),
        "seconds": round(seconds["all"], 3),
        "seed": seed,
        "base": base_id,
        "base_title": dict(base_manifest.get("title") or {}),
        # Not "manifest": the generic job views would offer it to the digit lab. The classifier's
        # routes put it in place (app/classifiers/service.py: ensure_model).
        "model_manifest": manifest,
    }


def run_transfer_job(settings: Settings, job_id: str, params: dict, reporter) -> dict[str, Any]:
    """The "transfer" job kind: params {"classifier_id", "seed", "holdout" (per class, or None),
    "epochs", "base" (an "embedding" model id; default BASE_MODEL)}."""
    started = time.monotonic()
    reporter.stage("loading")
    ts = store.training_set(settings, params["classifier_id"])
    if ts is None:
        raise JobFailed("classifiers.error_gone")
    n_classes, seed, epochs = len(ts.class_names), int(params.get("seed", 0)), int(params.get("epochs", EPOCHS))
    registry = worker_registry(settings)
    base_id = params.get("base") or BASE_MODEL
    train, val = split_holdout(ts.labels, n_classes, seed, params.get("holdout"))
    t0 = time.monotonic()
    embedded = embed_views(registry, ts, train, base_id, reporter)
    if embedded is None:
        return {}
    x, x_train, y_train = embedded
    seconds = {"embed": time.monotonic() - t0}

    steps = int(np.ceil(len(y_train) / BATCH_SIZE))
    t0 = time.monotonic()
    model = train_head(x_train, y_train, n_classes, seed, epochs, (x[val], ts.labels[val]), [reporter.callback(epochs, steps)])
    seconds["train"] = time.monotonic() - t0
    if reporter.cancelled() or reporter.timed_out():
        return {}

    reporter.stage("testing")
    weights = head_weights(model)
    scores = score(weights, x, ts, train, val)
    parameters = {"trained": trained_parameter_count(x.shape[1], n_classes), "borrowed": base_parameter_count(registry, base_id)}
    metrics = {"val_accuracy": scores["val_accuracy"], "train_accuracy": scores["train_accuracy"],
               "val_photos": int(len(val)), "train_photos": int(len(train))}
    base_manifest = registry.manifest(base_id)
    manifest = make_manifest(ts, job_id, base_id, dict(base_manifest.get("input") or {}), metrics, parameters)
    head_keras, head_npz = keras_bytes(model), npz_bytes(weights)
    reporter.save_file(HEAD_FILE, head_keras, {"model_id": ts.classifier_id})
    reporter.save_file(WEIGHTS_FILE, head_npz, {"model_id": ts.classifier_id})
    seconds["all"] = time.monotonic() - started
    result = job_result(ts, x, val, scores, parameters, base_id, base_manifest, manifest, seconds, seed)
    # Put the model where this host's registry finds it; take it away again if the learner
    # deleted the classifier meanwhile (the delete removes the folder too: either order ends clean).
    folder = write_model_folder(settings, ts.classifier_id, {HEAD_FILE: head_keras, WEIGHTS_FILE: head_npz}, manifest)
    if not store.finish_training(settings, ts.classifier_id, job_id, result):
        shutil.rmtree(folder, ignore_errors=True)
        raise JobFailed("classifiers.error_gone")
    return result
