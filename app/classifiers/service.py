"""What the web side does with a learner's classifiers (what the transfer job shares: store.py).

    cid = create(settings, owner, name, ["家八哥", "土八哥"])      # checked names, no photos yet
    add_photos(settings, cid, owner, class_index, [(filename, bytes), …])  # all decoded, or none stored
    remove_photo(settings, cid, owner, photo_id)
    job_id = start_training(settings, cid, owner, seed=0)          # checked, then enqueued
    view(settings, cid)                                            # a plain dict: the API's answer
    delete(settings, cid, owner)                                   # photos, model, job files: gone

Photos are stored only as the 224 × 224 crops the network sees, and only as long as they are
needed: until the learner deletes the classifier, or PHOTO_RETENTION_DAYS after its last change
(purge_expired); the trained model stays until the learner deletes it.
"""

from __future__ import annotations

import io
import secrets
import shutil
import unicodedata
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select, update

from app.classifiers.store import JOB_KIND, class_names, get, job_ids
from app.classifiers.tables import Classifier, ClassifierClass, ClassifierPhoto, utcnow
from app.db import session_scope
from app.errors import UserError
from app.jobs.service import cancel_job, get_job, load_file, submit_job
from app.jobs.tables import ACTIVE, JobFile
from app.ml.photos import decode
from app.ml.registry import ModelRegistry
from app.ml.transfer import EPOCHS, HEAD_FILE, WEIGHTS_FILE, default_base, write_model_folder
from app.settings import Settings

MIN_CLASSES, MAX_CLASSES = 2, 6
MIN_PHOTOS_PER_CLASS = 5
MAX_PHOTOS = 200  # in all classes together
MAX_NAME_LENGTH = 40
PHOTO_RETENTION_DAYS = 7
JPEG_QUALITY = 92


def clean_name(name: str) -> str:
    """Trimmed, one space between words, Unicode NFC (so 土八哥 typed twice is the same name)."""
    return " ".join(unicodedata.normalize("NFC", str(name)).split())


def check_classes(names: list[str]) -> list[str]:
    names = [clean_name(n) for n in names]
    if len(names) < MIN_CLASSES:
        raise UserError("classifiers.error_few_classes", min=MIN_CLASSES)
    if len(names) > MAX_CLASSES:
        raise UserError("classifiers.error_many_classes", max=MAX_CLASSES)
    for n in names:
        if not n:
            raise UserError("classifiers.error_empty_class")
        if len(n) > MAX_NAME_LENGTH:
            raise UserError("classifiers.error_long_class", max=MAX_NAME_LENGTH, name=n[:MAX_NAME_LENGTH] + "…")
    seen: set[str] = set()
    for n in names:
        if n.casefold() in seen:
            raise UserError("classifiers.error_duplicate", name=n)
        seen.add(n.casefold())
    return names


def new_id() -> str:
    return "my-" + secrets.token_hex(6)


def create(settings: Settings, owner: str, name: str, classes: list[str]) -> str:
    names = check_classes(classes)
    title = clean_name(name)[:60] or " / ".join(names)[:60]
    purge_expired(settings)  # a cheap moment to forget photos nobody needs any more
    cid = new_id()
    with session_scope(settings.database_url_resolved) as s:
        s.add(Classifier(id=cid, owner=owner, name=title))
        s.flush()
        mine = s.scalar(select(func.count()).select_from(Classifier).where(Classifier.owner == owner))
        if mine > settings.max_classifiers_per_browser:  # rolled back
            raise UserError("classifiers.error_too_many", 429, max=settings.max_classifiers_per_browser, seconds=60)
        for i, n in enumerate(names):
            s.add(ClassifierClass(classifier_id=cid, index=i, name=n))
    return cid


def owned(settings: Settings, cid: str, owner: str) -> Classifier:
    """The classifier, if this browser made it (404 otherwise: someone else's looks like none)."""
    c = get(settings, cid)
    if c is None or (c.owner and c.owner != owner):
        raise UserError("classifiers.error_not_found", 404)
    return c


def photo_index(settings: Settings, cid: str) -> dict[int, list[int]]:
    """class index → ids of its photos, oldest first."""
    with session_scope(settings.database_url_resolved) as s:
        rows = s.execute(select(ClassifierPhoto.id, ClassifierPhoto.class_index)
                         .where(ClassifierPhoto.classifier_id == cid).order_by(ClassifierPhoto.id)).all()
    out: dict[int, list[int]] = {}
    for pid, k in rows:
        out.setdefault(int(k), []).append(int(pid))
    return out


def crop_jpeg(pixels: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def add_photos(settings: Settings, cid: str, owner: str, class_index: int, files: list[tuple[str, bytes]],
               translate=None) -> dict[str, Any]:
    """Decode every file to its 224 × 224 centre crop; store them all, or (on any bad file) none."""
    c = owned(settings, cid, owner)
    names = class_names(settings, cid)
    if not 0 <= class_index < len(names):
        raise UserError("classifiers.error_no_class", 404, index=class_index)
    if not files:
        raise UserError("classifiers.error_no_files")
    existing = sum(len(v) for v in photo_index(settings, cid).values())
    if existing + len(files) > MAX_PHOTOS:
        raise UserError("classifiers.error_too_many_photos", 413, max=MAX_PHOTOS, left=max(0, MAX_PHOTOS - existing))
    crops = []
    for filename, data in files:
        try:
            crops.append(crop_jpeg(decode(data).pixels))
        except UserError as exc:
            problem = translate(exc.key, **exc.params) if translate else exc.key
            raise UserError("classifiers.error_bad_file", exc.status_code, file=filename or "?", problem=problem) from None
    with session_scope(settings.database_url_resolved) as s:
        for jpeg in crops:
            s.add(ClassifierPhoto(classifier_id=c.id, class_index=class_index, jpeg=jpeg))
        s.execute(update(Classifier).where(Classifier.id == c.id).values(updated=utcnow(), photos_purged=False))
    return counts(settings, cid)


def counts(settings: Settings, cid: str) -> dict[str, Any]:
    index = photo_index(settings, cid)
    per_class = [len(index.get(k, [])) for k in range(len(class_names(settings, cid)))]
    return {"id": cid, "counts": per_class, "total": sum(per_class)}


def photo_jpeg(settings: Settings, cid: str, owner: str, photo_id: int) -> bytes:
    owned(settings, cid, owner)  # a learner's photos are shown to that learner only
    with session_scope(settings.database_url_resolved) as s:
        p = s.get(ClassifierPhoto, photo_id)
        if p is None or p.classifier_id != cid:
            raise UserError("classifiers.error_no_photo", 404)
        return p.jpeg


def remove_photo(settings: Settings, cid: str, owner: str, photo_id: int) -> dict[str, Any]:
    owned(settings, cid, owner)
    with session_scope(settings.database_url_resolved) as s:
        done = s.execute(sql_delete(ClassifierPhoto).where(ClassifierPhoto.id == photo_id,
                                                           ClassifierPhoto.classifier_id == cid)).rowcount
        if not done:
            raise UserError("classifiers.error_no_photo", 404)
        s.execute(update(Classifier).where(Classifier.id == cid).values(updated=utcnow()))
    return counts(settings, cid)


# --- training ----------------------------------------------------------------------------------

def active_job(settings: Settings, c: Classifier):
    job = get_job(settings, c.job_id) if c.job_id else None
    return job if job is not None and job.status in ACTIVE else None


def start_training(settings: Settings, cid: str, owner: str, seed: int = 0, holdout: int | None = None,
                   epochs: int | None = None, base: str | None = None) -> str:
    """Check that there is enough to learn from, then submit a "transfer" job (nothing enqueued
    otherwise). `base`: the frozen base, any registry model of task "embedding"."""
    c = owned(settings, cid, owner)
    registry = ModelRegistry(settings)
    base = base or default_base(registry)
    base_manifest = registry.manifest(base)
    if base_manifest is None or base_manifest.task != "embedding":
        raise UserError("classifiers.error_base", model=base)
    names = class_names(settings, cid)
    index = photo_index(settings, cid)
    for k, n in enumerate(names):
        have = len(index.get(k, []))
        if have < MIN_PHOTOS_PER_CLASS:
            raise UserError("classifiers.error_few_photos", min=MIN_PHOTOS_PER_CLASS, name=n, have=have)
    if active_job(settings, c) is not None:
        raise UserError("classifiers.error_training", 409)
    params = {"classifier_id": cid, "seed": int(seed), "holdout": holdout,
              "epochs": int(epochs or EPOCHS), "classes": names, "base": base}
    job_id = submit_job(settings, JOB_KIND, params, owner)
    with session_scope(settings.database_url_resolved) as s:
        s.execute(update(Classifier).where(Classifier.id == cid).values(job_id=job_id, updated=utcnow()))
    return job_id


def ensure_model(settings: Settings, c: Classifier) -> bool:
    """This host has the classifier's current model in <data_dir>/models/<id>/ (a web host that is
    not the worker's writes it from the job's files). True when the model is ready to use."""
    import json

    if not c.model_job_id:
        return False
    manifest_path = settings.user_models_dir / c.id / "manifest.json"
    if manifest_path.exists():
        try:
            if json.loads(manifest_path.read_text(encoding="utf-8")).get("job") == c.model_job_id:
                return True
        except (OSError, ValueError):
            pass

    job = get_job(settings, c.model_job_id)
    head = load_file(settings, c.model_job_id, HEAD_FILE)
    weights = load_file(settings, c.model_job_id, WEIGHTS_FILE)
    if job is None or head is None or not (job.result or {}).get("model_manifest"):
        return False
    files = {HEAD_FILE: head[0], **({WEIGHTS_FILE: weights[0]} if weights else {})}
    write_model_folder(settings, c.id, files, job.result["model_manifest"])
    return True


# --- deleting ----------------------------------------------------------------------------------

def delete(settings: Settings, cid: str, owner: str, registry=None) -> None:
    """The photos, the model (files and folder) and the training jobs' files: all gone."""
    c = owned(settings, cid, owner)
    job = active_job(settings, c)
    if job is not None:
        cancel_job(settings, job.id, owner)
    with session_scope(settings.database_url_resolved) as s:
        jobs = job_ids(s, cid)
        if jobs:
            s.execute(sql_delete(JobFile).where(JobFile.job_id.in_(jobs)))
        s.execute(sql_delete(ClassifierPhoto).where(ClassifierPhoto.classifier_id == cid))
        s.execute(sql_delete(ClassifierClass).where(ClassifierClass.classifier_id == cid))
        s.execute(sql_delete(Classifier).where(Classifier.id == cid))
    shutil.rmtree(settings.user_models_dir / cid, ignore_errors=True)
    if registry is not None:
        registry.forget(cid)


def purge_expired(settings: Settings) -> int:
    """Delete the photos of classifiers unchanged for PHOTO_RETENTION_DAYS (their models stay)."""
    before = utcnow() - timedelta(days=PHOTO_RETENTION_DAYS)
    with session_scope(settings.database_url_resolved) as s:
        stale = s.scalars(select(Classifier.id).where(Classifier.updated < before, Classifier.photos_purged.is_(False))).all()
        for cid in stale:
            s.execute(sql_delete(ClassifierPhoto).where(ClassifierPhoto.classifier_id == cid))
            s.execute(update(Classifier).where(Classifier.id == cid).values(photos_purged=True))
    return len(stale)


def mine(settings: Settings, owner: str) -> list[Classifier]:
    if not owner:
        return []
    with session_scope(settings.database_url_resolved) as s:
        return list(s.scalars(select(Classifier).where(Classifier.owner == owner).order_by(Classifier.created.desc())).all())

