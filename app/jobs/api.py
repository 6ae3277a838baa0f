"""The generic job API, the same for every kind of job (see app/jobs/kinds.py).

    GET  /api/jobs                 this browser's jobs, newest first
    GET  /api/jobs/{id}            status, epoch, history, test_accuracy, error, queue position, ETA, worker…
    POST /api/jobs/{id}/cancel     a queued job stops at once, a running one at its next batch
    GET  /api/jobs/{id}/model      the trained model file (.keras) of a succeeded job

Submitting is per kind (POST /api/jobs takes a training design: app/labs/train.py), because each
kind validates its own parameters before calling service.submit_job().
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from app.db import session_scope
from app.deps import BrowserIdDep, SettingsDep, TranslatorDep
from app.errors import UserError
from app.events import publish_result
from app.jobs import service
from app.jobs.tables import Job
from app.settings import Settings

router = APIRouter(tags=["jobs"])


def load_job(settings: Settings, job_id: str) -> Job:
    """The job, after a liveness check (a dead worker's job goes back to the queue) — or 404."""
    job = service.get_job(settings, job_id)
    if job is None:
        raise UserError("jobs.not_found", 404)
    if job.status in ("queued", "running"):
        if service.reap_stale(settings, job_id):
            job = service.get_job(settings, job_id)
    elif job.status == "succeeded":
        service.ensure_user_model(settings, job)  # the digit lab on this host can use it now
    return job


@router.get("/api/jobs", summary="This browser's jobs, newest first")
def my_jobs(settings: SettingsDep, owner: BrowserIdDep, _: TranslatorDep) -> list[dict[str, Any]]:
    with session_scope(settings.database_url_resolved) as s:
        jobs = s.scalars(select(Job).where(Job.owner == owner).order_by(Job.created.desc()).limit(50)).all()
    return [{k: v for k, v in service.job_view(settings, j, _).items() if k not in ("batches", "result")} for j in jobs]


@router.get("/api/workers", summary="The training workers online now")
def workers(settings: SettingsDep) -> list[dict[str, Any]]:
    """Each: {"name": "host:pid", "backend": "jax", "device": "GPU 0: NVIDIA H200"}."""
    return service.workers_online(settings)


@router.get("/api/jobs/{job_id}", summary="A job's status and live progress")
def job_status(job_id: str, settings: SettingsDep, _: TranslatorDep) -> dict[str, Any]:
    """`status` is queued | running | succeeded | failed | cancelled; `history` has one entry per
    finished epoch (loss, accuracy, val_loss, val_accuracy); `batches` the curve within epochs."""
    view = service.job_view(settings, load_job(settings, job_id), _)
    if view["result"]:  # the full confusion matrix and mistakes are on the job page; keep the API light
        view["result"] = {k: v for k, v in view["result"].items() if k not in ("misclassified", "history")}
    return view


@router.post("/api/jobs/{job_id}/cancel", summary="Cancel a job")
def cancel(job_id: str, settings: SettingsDep, owner: BrowserIdDep, _: TranslatorDep) -> dict[str, Any]:
    job = service.cancel_job(settings, job_id, owner)
    return {"id": job.id, "status": job.status, "cancel_requested": job.cancel_requested}


@router.get("/api/jobs/{job_id}/model", summary="Download the trained model (.keras)",
            responses={200: {"content": {"application/octet-stream": {}}}})
def download_model(job_id: str, settings: SettingsDep) -> Response:
    job = load_job(settings, job_id)
    manifest = (job.result or {}).get("manifest") or {}
    stored = service.load_file(settings, job.id, manifest.get("file", "model.keras")) if job.status == "succeeded" else None
    if stored is None:
        raise UserError("jobs.no_model", 409)
    return Response(stored[0], media_type="application/octet-stream",
                    headers={"content-disposition": f'attachment; filename="{"poems" if job.kind == "text" else "mnist"}-{job.id}.keras"'})


def publish_if_first(request: Request, settings: Settings, job: Job) -> None:
    """The first look at a succeeded training job publishes it to the classroom (app/events.py)."""
    if job.status == "succeeded" and not job.announced and service.mark_announced(settings, job.id):
        r = job.result or {}
        publish_result(request, job.kind, {
            "job": job.id, "owner": job.owner, "test_accuracy": r.get("test_accuracy"),
            "parameters": r.get("parameters"), "model_id": (r.get("manifest") or {}).get("id"),
        })
