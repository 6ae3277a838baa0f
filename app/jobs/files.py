"""Bytes kept with a job in the database (checkpoints, trained models), and the local copy of a
trained model where the model registry looks for it.

Models live in the database so that a web host and N GPU hosts share nothing but the database
URL and the queue URL (docs/scaling.md); each host writes its own copy once, when it needs it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import select

from app.db import session_scope
from app.jobs.tables import Job, JobFile, utcnow
from app.settings import Settings


def save_file(settings: Settings, job_id: str, name: str, data: bytes, meta: dict | None = None) -> None:
    with session_scope(settings.database_url_resolved) as s:
        row = s.get(JobFile, (job_id, name))
        if row is None:
            s.add(JobFile(job_id=job_id, name=name, data=data, meta=meta or {}, updated=utcnow()))
        else:
            row.data, row.meta, row.updated = data, meta or {}, utcnow()


def load_file(settings: Settings, job_id: str, name: str) -> tuple[bytes, dict] | None:
    with session_scope(settings.database_url_resolved) as s:
        row = s.get(JobFile, (job_id, name))
        return (row.data, row.meta) if row is not None else None


def delete_file(settings: Settings, job_id: str, name: str) -> None:
    with session_scope(settings.database_url_resolved) as s:
        row = s.get(JobFile, (job_id, name))
        if row is not None:
            s.delete(row)


def ensure_user_model(settings: Settings, job: Job) -> Path | None:
    """Put a succeeded job's model where the model registry looks: <user_models_dir>/<id>/.

    Trained models live in the database (job_files), so any host can serve them; this writes the
    local copy that the digit lab loads, once, on the host that needs it. Returns the folder.
    """
    result = job.result or {}
    manifest = result.get("manifest")
    if job.status != "succeeded" or not manifest:
        return None
    folder = settings.user_models_dir / manifest["id"]
    if (folder / "manifest.json").exists():
        return folder
    stored = load_file(settings, job.id, manifest["file"])
    if stored is None:
        return None
    settings.user_models_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=settings.user_models_dir))
    (tmp / manifest["file"]).write_bytes(stored[0])
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    try:
        os.replace(tmp, folder)  # atomic: the registry never sees half a model
    except OSError:  # another request got there first
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def owner_models(settings: Settings, owner: str) -> None:
    """Make sure every model this browser trained is on this host (cheap when they already are)."""
    if not owner:
        return
    with session_scope(settings.database_url_resolved) as s:
        jobs = s.scalars(select(Job).where(Job.owner == owner, Job.status == "succeeded")).all()
    for job in jobs:
        ensure_user_model(settings, job)
