"""The classifier rows that both sides need: the web side (service.py) and the transfer job (job.py).

    ts = training_set(settings, cid)                 # photos, labels, names: what a job trains on
    finish_training(settings, cid, job_id, result)   # the job's model is now the classifier's
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete as sql_delete
from sqlalchemy import select, update

from app.classifiers.tables import Classifier, ClassifierClass, ClassifierPhoto
from app.db import session_scope
from app.jobs.tables import Job, JobFile
from app.settings import Settings

JOB_KIND = "transfer"  # app/jobs/kinds.py


@dataclass
class TrainingSet:
    classifier_id: str
    name: str
    owner: str
    class_names: list[str]
    photo_ids: list[int]
    labels: np.ndarray
    jpegs: list[bytes]


def get(settings: Settings, cid: str) -> Classifier | None:
    if not cid or len(cid) > 32:
        return None
    with session_scope(settings.database_url_resolved) as s:
        return s.get(Classifier, cid)


def class_names(settings: Settings, cid: str) -> list[str]:
    with session_scope(settings.database_url_resolved) as s:
        rows = s.scalars(select(ClassifierClass).where(ClassifierClass.classifier_id == cid)
                         .order_by(ClassifierClass.index)).all()
        return [r.name for r in rows]


def training_set(settings: Settings, cid: str):
    """Everything the transfer job needs, read once at its start (None: the classifier is gone)."""
    with session_scope(settings.database_url_resolved) as s:
        c = s.get(Classifier, cid)
        if c is None:
            return None
        rows = s.execute(select(ClassifierPhoto.id, ClassifierPhoto.class_index, ClassifierPhoto.jpeg)
                         .where(ClassifierPhoto.classifier_id == cid).order_by(ClassifierPhoto.id)).all()
        name, owner = c.name, c.owner
    names = class_names(settings, cid)
    return TrainingSet(classifier_id=cid, name=name, owner=owner, class_names=names,
                       photo_ids=[int(r[0]) for r in rows], labels=np.array([int(r[1]) for r in rows], dtype=np.int64),
                       jpegs=[r[2] for r in rows])


def finish_training(settings: Settings, cid: str, job_id: str, result: dict[str, Any]) -> bool:
    """The worker's last step: this job's model is now the classifier's; older jobs' model files
    are dropped. False when the classifier was deleted meanwhile."""
    summary = {k: result.get(k) for k in ("val_accuracy", "train_accuracy", "parameters", "borrowed_parameters",
                                          "embedding_size", "val_confusion", "embed_seconds", "train_seconds", "seconds",
                                          "base", "base_title")}
    summary["val_photos"] = len(result.get("val_photo_ids") or [])
    summary["classes"] = result.get("classes")
    summary["held_out"] = [{"photo_id": pid, "guess": g} for pid, g in
                           zip(result.get("val_photo_ids") or [], result.get("val_guesses") or [])]
    with session_scope(settings.database_url_resolved) as s:
        done = s.execute(update(Classifier).where(Classifier.id == cid)
                         .values(model_job_id=job_id, result=summary)).rowcount
        if done:
            old_jobs = job_ids(s, cid, exclude=job_id)
            if old_jobs:
                s.execute(sql_delete(JobFile).where(JobFile.job_id.in_(old_jobs)))
    return bool(done)


def job_ids(session, cid: str, exclude: str | None = None) -> list[str]:
    ids = []
    for job in session.scalars(select(Job).where(Job.kind == JOB_KIND)).all():
        if (job.params or {}).get("classifier_id") == cid and job.id != exclude:
            ids.append(job.id)
    return ids
