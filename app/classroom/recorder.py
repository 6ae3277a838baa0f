"""What the class's views keep of a lab result: small, and nothing that is not shown.

A lab publishes its full answer (app/events.py); the classroom keeps only what the projector
shows — a digit drawing as 784 grey levels, a learning rate and its verdict, a network's test
accuracy, size, time and design, a photo's top label (never the photo itself).
"""

from __future__ import annotations

import base64
import itertools
import math
from typing import Any

import numpy as np
from app.db import session_scope
from app.jobs.tables import Job
from app.ml.design import TrainDesign, describe, stored_design

RECORDED_LABS = ("digits", "descent", "train", "photos", "neuron")


def _number(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _first(payload: dict[str, Any], *names: str) -> Any:
    for name in names:
        if payload.get(name) is not None:
            return payload[name]
    return None


def _short(value: Any, limit: int = 120) -> str:
    return str(value)[:limit] if value is not None else ""


def pixels_to_b64(image: Any) -> str | None:
    """A 28×28 drawing (grey levels 0–255, or 0–1 floats) → 784 bytes, base64."""
    try:  # the digit lab's 28 rows of 0–255 ints: no numpy needed
        raw = bytes(itertools.chain.from_iterable(image))
        if len(raw) == 784 and max(raw) > 1:
            return base64.b64encode(raw).decode()
    except (TypeError, ValueError):
        pass
    array = np.asarray(image, dtype=np.float32)
    if array.size != 784:
        return None
    array = array.reshape(28, 28)
    if array.max() <= 1.0:
        array = array * 255.0
    return base64.b64encode(np.clip(array, 0, 255).astype(np.uint8).tobytes()).decode()


def compact(lab: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The stored form of one result, or None when it carries nothing the views use."""
    if lab == "digits":
        prediction = _first(payload, "prediction", "digit", "label")
        pixels = _first(payload, "input", "pixels", "image")
        if prediction is None or pixels is None:
            return None
        out = {"prediction": int(prediction), "px": pixels_to_b64(pixels), "model": _short(payload.get("model"), 60)}
        if out["px"] is None:
            return None
        target = _first(payload, "target", "truth", "expected")
        if target is not None:
            out["target"] = int(target)
        return out
    if lab == "descent":
        eta = _number(_first(payload, "eta", "learning_rate", "lr"))
        if eta is None:
            return None
        verdict = _first(payload, "verdict", "outcome", "status")
        if verdict is None and "converged" in payload:
            verdict = "converged" if payload["converged"] else "diverged"
        if verdict == "start":
            return None  # no step taken yet: nothing to show
        return {"eta": eta, "verdict": _short(verdict, 30) or "unknown", "loss": _short(payload.get("loss"), 30)}
    if lab == "train":
        accuracy = _number(_first(payload, "test_accuracy", "accuracy", "val_accuracy"))
        if accuracy is None:
            return None
        if accuracy > 1:  # given in percent
            accuracy /= 100
        design = _first(payload, "design", "summary", "architecture", "layers")
        if isinstance(design, (list, tuple)):
            design = " → ".join(_short(layer, 40) for layer in design)
        elif isinstance(design, dict):
            design = ", ".join(f"{k}={v}" for k, v in list(design.items())[:8])
        return {
            "accuracy": accuracy,
            "params": int(_number(_first(payload, "params", "parameters", "param_count", "n_params")) or 0),
            "seconds": _number(_first(payload, "seconds", "training_time", "duration_s", "train_seconds")),
            "design": _short(design, 200),
            "job": _short(_first(payload, "job_id", "id", "job"), 40),
        }
    if lab == "photos":
        label = _first(payload, "label", "top", "prediction")
        if isinstance(label, dict):
            label = label.get("label") or label.get("name")
        if isinstance(label, (list, tuple)) and label:
            label = label[0].get("label") if isinstance(label[0], dict) else label[0]
        if not label:
            return None
        both = [_short(payload.get(k), 60) for k in ("label_zh", "label_en") if payload.get(k)]
        return {"label": " · ".join(dict.fromkeys(both)) if both else _short(label, 80)}
    if lab == "neuron":
        return {k: _short(v, 40) for k, v in list(payload.items())[:8] if isinstance(v, (int, float, str))}
    return None


def describe_job(url: str, job_id: str) -> dict[str, Any]:
    """A finished training job's design ("CNN 16-32-64 / 64") and training time, from the jobs
    table (the train lab publishes only the job's id, accuracy and size)."""
    from sqlalchemy import select

    with session_scope(url) as s:
        job = s.scalar(select(Job).where(Job.id == job_id))
        if job is None:
            return {}
        out: dict[str, Any] = {}
        try:
            design = stored_design({k: v for k, v in (job.params or {}).items() if k in TrainDesign.model_fields})
            out["design"] = f"{describe(design)}, {design.activation}, {design.optimizer}, {design.epochs} epochs"
        except Exception:
            out["design"] = _short((job.params or {}).get("architecture"), 40)
        if job.started and job.finished:
            out["seconds"] = round((job.finished - job.started).total_seconds(), 1)
        return out
