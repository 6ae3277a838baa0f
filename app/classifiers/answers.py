"""A classifier as a plain dict: the JSON API's answer, and what the page's templates show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.classifiers import service
from app.classifiers.tables import Classifier
from app.jobs.service import get_job, queue_position, workers_online
from app.jobs.store import aware
from app.settings import Settings


UNSURE_BELOW = 0.7  # a best guess under 70 %: the classifier says "none of these" rather than a class
FEW_HELD_OUT = 10  # under 10 held-out photos one photo moves the accuracy by more than 10 points


def try_verdict(predictions: list) -> dict[str, Any]:
    """What the page says about one photo. A classifier must share 100 % among the classes it was
    taught, so a hot dog still gets "50.7 % crested myna"; below UNSURE_BELOW that best guess is
    shown as "none of these (unsure)", with the reason."""
    best = predictions[0] if predictions else None
    return {"unsure": best is None or best.probability < UNSURE_BELOW, "best": best,
            "unsure_below": round(UNSURE_BELOW * 100), "classes_taught": len(predictions)}


def accuracy_counts(accuracy: float | None, photos: int | None) -> dict[str, Any] | None:
    """100 % on 2 photos is 2 of 2: the page says how many photos a percentage stands for."""
    if accuracy is None or not photos:
        return None
    return {"right": round(accuracy * photos), "photos": photos, "few": photos < FEW_HELD_OUT,
            "step": round(100 / photos)}


def job_summary(settings: Settings, job_id: str | None, translate=None) -> dict[str, Any] | None:
    """The training job as the page needs it: status, stage, counts, epochs, error in words."""
    job = get_job(settings, job_id) if job_id else None
    if job is None:
        return None
    p = job.progress or {}
    error = None
    if job.error:
        error = translate(job.error, **(p.get("error_params") or {})) if translate else job.error
    return {
        "id": job.id, "status": job.status, "stage": p.get("stage"),
        "done": p.get("done"), "total": p.get("total"),
        "epoch": int(p.get("epoch", 0)), "epochs": p.get("epochs") or (job.params or {}).get("epochs"),
        "x": p.get("x") or 0, "error": error, "error_code": job.error,
        "queue_position": queue_position(settings, job),
        "workers_online": len(workers_online(settings)) if job.status == "queued" else None,
        "active": job.status in ("queued", "running"),
    }


def progress_fraction(job: dict[str, Any] | None) -> float:
    """0–1 for the progress bar: embedding is the first 30 %, training the rest."""
    if not job:
        return 0.0
    if job["status"] == "succeeded":
        return 1.0
    if job["stage"] == "embedding" and job.get("total"):
        return 0.3 * min(1.0, (job.get("done") or 0) / job["total"])
    if job.get("epochs") and job["stage"] in ("training", "testing"):
        return 0.3 + 0.7 * min(1.0, float(job.get("x") or job["epoch"]) / float(job["epochs"]))
    return 0.0


def held_out_view(held_out: list[dict], classes: list[dict], names: list[str]) -> list[dict[str, Any]]:
    """The held-out photos that are still here, each with its true class and the head's answer."""
    true_class = {pid: cl["index"] for cl in classes for pid in cl["photo_ids"]}
    out = []
    for h in held_out:
        k = true_class.get(h["photo_id"])
        if k is not None and 0 <= h["guess"] < len(names):
            out.append({"photo_id": h["photo_id"], "truth": names[k], "guess": names[h["guess"]], "right": h["guess"] == k})
    return out


def classifier_view(settings: Settings, c: Classifier, translate=None) -> dict[str, Any]:
    names = service.class_names(settings, c.id)
    index = service.photo_index(settings, c.id)
    classes = [{"index": k, "name": n, "count": len(index.get(k, [])), "photo_ids": index.get(k, [])}
               for k, n in enumerate(names)]
    missing = [{"index": cl["index"], "name": cl["name"], "need": service.MIN_PHOTOS_PER_CLASS - cl["count"]}
               for cl in classes if cl["count"] < service.MIN_PHOTOS_PER_CLASS]
    job = job_summary(settings, c.job_id, translate)
    model_ready = service.ensure_model(settings, c)
    result = c.result or {}
    model = None
    if model_ready:
        model = {
            "job_id": c.model_job_id,
            "val_accuracy": result.get("val_accuracy"), "train_accuracy": result.get("train_accuracy"),
            "val_photos": result.get("val_photos"), "val_confusion": result.get("val_confusion"),
            "val_counts": accuracy_counts(result.get("val_accuracy"), result.get("val_photos")),
            "parameters": result.get("parameters"), "borrowed_parameters": result.get("borrowed_parameters"),
            "embedding_size": result.get("embedding_size"), "classes": result.get("classes") or names,
            "train_seconds": result.get("train_seconds"), "embed_seconds": result.get("embed_seconds"),
            "base": result.get("base"), "base_title": result.get("base_title") or {},
            "held_out": held_out_view(result.get("held_out") or [], classes, result.get("classes") or names),
        }
    total = sum(cl["count"] for cl in classes)
    kept_until = aware(c.updated) + timedelta(days=service.PHOTO_RETENTION_DAYS) if c.updated else None
    return {
        "id": c.id,
        "name": c.name,
        "classes": classes,
        "total_photos": total,
        "max_photos": service.MAX_PHOTOS,
        "min_photos_per_class": service.MIN_PHOTOS_PER_CLASS,
        "ready_to_train": not missing and not (job and job["active"]),
        "missing": missing,
        "job": job,
        "model": model,
        "photos_purged": bool(c.photos_purged),
        "photos_kept_until": kept_until.isoformat() if kept_until else None,
        "links": {"page": f"/classifiers/{c.id}", "photo_lab": f"/photos?model={c.id}"},
    }
