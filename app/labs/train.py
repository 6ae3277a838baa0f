"""Lab: design your function-learning machine and train it on a worker (slides 105–107, 160–174).

Routes
    GET  /train                     the design page (state: DesignForm in the query string)
    GET  /train/design              htmx fragment: the form, layer table and Keras code
    POST /train/jobs                the form's "train" button → the job page
    GET  /train/jobs/{id}           the job page: queue position, live curves, results
    GET  /train/jobs/{id}/progress  htmx fragment, polled every second while the job is active
    GET  /train/jobs/{id}/mistakes  htmx fragment: browse the misclassified test digits
    GET  /train/digit/{index}.png   one MNIST test digit
    POST /api/jobs                  a TrainDesign as JSON → {"id"} (then the generic /api/jobs/{id})
    POST /api/train/preview         a TrainDesign → its layer table, parameter count and Keras code

Live progress is htmx polling (hx-trigger="every 1s") of one fragment rather than SSE: it needs
no open connection per tab (a class of 60 phones), survives proxies and sleeping phones, and
every tab watching a job renders the same fragment. Measured in tests/jobs/test_api.py: the
progress fragment renders in a few milliseconds.
"""

from __future__ import annotations

import io
import json
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import select
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from app.db import session_scope
from app.deps import BrowserIdDep, SettingsDep
from app.i18n import catalogue
from app.jobs import service
from app.jobs.api import load_job, publish_if_first
from app.jobs.api import router as jobs_router
from app.jobs.tables import Job
from app.labs import Lab
from app.labs.train_form import PRESETS, DesignForm, DesignSubmission, design_problem, form_query, progress_charts
from app.ml.design import (CODE_COMMENTS, TrainDesign, describe, keras_code, layer_table, parameter_count, stored_design,
                           table_parameters)
from app.labs.gan import GanJobInput
from app.ml.gan import generator_parameters
from app.ml.text import check_limits as check_text_limits
from app.ml.text_design import TextDesign
from app.ml.text_design import describe as describe_text
from app.ml.text_design import form_query as text_form_query
from app.settings import Settings
from app.web import UserError, browser_id, is_htmx, render, translator

router = APIRouter()
router.include_router(jobs_router)
LAB = Lab(slug="train", path="/train", title_key="train.title", summary_key="train.summary", steps=(4, 5), icon="🏋")
DIGIT_LAB = "/digits"  # the digit lab accepts ?model=<id>
MISTAKES_PAGE = 1  # one digit at a time, like the notebook's interact slider


def check_limits(settings: Settings, design: TrainDesign) -> int:
    """The design's parameter count, after the server's limits (UserError 422 with the learner's message)."""
    if design.epochs > settings.max_epochs:
        raise UserError("train.too_many_epochs", 422, limit=settings.max_epochs)
    count = parameter_count(design)
    if count > settings.max_parameters:
        raise UserError("train.too_many_params", 422, count=f"{count:,}", limit=f"{settings.max_parameters:,}")
    return count


def submit_design(settings: Settings, design: TrainDesign, owner: str) -> tuple[str, int]:
    """(job id, parameter count): the limits checked, then the job submitted."""
    count = check_limits(settings, design)
    return service.submit_job(settings, "train", design.model_dump(), owner), count


def code_comments(request: Request) -> dict[str, str]:
    _ = translator(request)
    return {key: _(f"train.code_{key}") for key in CODE_COMMENTS}


def form_design(form: DesignForm, where: str) -> TrainDesign:
    """The form's design; a value out of range is the learner's mistake (422 with its field's name),
    reported inside the handler rather than escaping it as a 500."""
    try:
        return form.to_design()
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": (where, *e["loc"])} for e in exc.errors()]) from exc


def design_context(request: Request, settings: Settings, form: DesignForm) -> dict[str, Any]:
    design = form_design(form, "query")
    problem = design_problem(design)  # an impossible CNN: said beside its field, the page stays usable
    table = [] if problem else layer_table(design)
    total = table_parameters(table)
    return {
        "form": form, "rows": form.rows(), "design": design, "table": table, "problem": problem,
        "total_params": total, "code": keras_code(design, code_comments(request)),
        "query": form_query(design), "max_parameters": settings.max_parameters,
        "too_big": total > settings.max_parameters,
        "presets": {name: form_query(d) for name, d in PRESETS.items()},
    }


@router.get("/train", response_class=HTMLResponse, summary="Design a network and train it (page)")
def train_page(request: Request, settings: SettingsDep, form: Annotated[DesignForm, Query()]):
    owner = browser_id(request)
    service.owner_models(settings, owner)
    jobs = my_recent_jobs(settings, owner)
    ctx = design_context(request, settings, form)
    return render(request, "train.html", {**ctx, "jobs": jobs}, 422 if ctx["problem"] else 200)


@router.get("/train/design", response_class=HTMLResponse, summary="The design form and preview (htmx fragment)")
def train_design_fragment(request: Request, settings: SettingsDep, form: Annotated[DesignForm, Query()]):
    ctx = design_context(request, settings, form)
    response = render(request, "partials/train_design.html", ctx)
    response.headers["HX-Push-Url"] = f"/train?{ctx['query']}"
    return response


@router.post("/train/jobs", summary="Start training the design in the form", response_class=HTMLResponse,
             responses={303: {"description": "to the job page"}})
def train_submit(request: Request, settings: SettingsDep, form: Annotated[DesignSubmission, Form()]):
    job_id, _count = submit_design(settings, form_design(form, "form"), browser_id(request))
    url = f"/train/jobs/{job_id}"
    if is_htmx(request):
        return Response("", headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def my_recent_jobs(settings: Settings, owner: str) -> list[dict]:
    if not owner:
        return []
    with session_scope(settings.database_url_resolved) as s:
        jobs = s.scalars(select(Job).where(Job.owner == owner, Job.kind == "train")
                         .order_by(Job.created.desc()).limit(8)).all()
    return [{"id": j.id, "status": j.status, "name": describe(stored_design(j.params)),
             "test_accuracy": (j.result or {}).get("test_accuracy")} for j in jobs]


def within_epoch(view: dict[str, Any]) -> dict[str, Any] | None:
    """Where a running job is inside its epochs, from the batch points the worker reports: the
    epoch under way (from 1) and its batch, so a 1-epoch job's bar and words move before it ends."""
    x, steps, epochs = float(view.get("x") or 0), view.get("steps_per_epoch"), view.get("epochs")
    if view["status"] != "running" or not steps or not epochs or view.get("stage") != "training":
        return None
    epoch = min(int(x), epochs - 1)
    return {"fraction": min(1.0, x / epochs), "epoch": epoch + 1, "batch": round((x - epoch) * steps), "steps": steps}


def job_context(request: Request, settings: Settings, job_id: str, mistake: int = 0) -> dict[str, Any]:
    _ = translator(request)
    job = load_job(settings, job_id)
    view = service.job_view(settings, job, _)
    design = stored_design(job.params) if job.kind == "train" else None
    result = job.result or {}
    mistakes = result.get("misclassified") or []
    mistake = max(0, min(mistake, len(mistakes) - 1)) if mistakes else 0
    confusion = result.get("confusion")
    stage_key = f"jobs.stage_{view['stage']}"
    text = TextDesign.model_validate(job.params) if job.kind == "text" else None  # a poem model (app/labs/text.py)
    return {
        "workers_online": len(service.workers_online(settings)) if job.status == "queued" else None,
        "stage_text": _(stage_key) if stage_key in catalogue() else None,  # other kinds have stages of their own
        "job": view, "design": design,
        "within": within_epoch(view),
        "name": describe(design) if design else describe_text(text) if text else job.kind,
        "samples": (job.progress or {}).get("samples", []) if text else [],
        "text_lab": f"/text?model={job.id}" if text else None,
        "charts": progress_charts(job.progress or {}, view["epochs"] or 1, _),
        "active": job.status in ("queued", "running"), "mine": job.owner == browser_id(request),
        "mistakes": mistakes, "mistake_index": mistake, "mistake": mistakes[mistake] if mistakes else None,
        "confusion": confusion, "confusion_max": max(max(r) for r in confusion) if confusion else 1,
        "model_id": (result.get("manifest") or {}).get("id"), "digit_lab": DIGIT_LAB,
        "again": f"/train?{form_query(design)}" if design else f"/text/train?{text_form_query(text)}" if text else "/train",
    }


@router.get("/train/jobs/{job_id}", response_class=HTMLResponse, summary="A training job (page)")
def job_page(request: Request, job_id: str, settings: SettingsDep, mistake: Annotated[int, Query(ge=0, le=10_000)] = 0):
    ctx = job_context(request, settings, job_id, mistake)
    publish_if_first(request, settings, service.get_job(settings, job_id))
    return render(request, "train_job.html", ctx)


@router.get("/train/jobs/{job_id}/progress", response_class=HTMLResponse, summary="A job's live progress (htmx fragment)")
def job_progress_fragment(request: Request, job_id: str, settings: SettingsDep):
    ctx = job_context(request, settings, job_id)
    if not ctx["active"]:
        publish_if_first(request, settings, service.get_job(settings, job_id))
    return render(request, "partials/train_progress.html", ctx)


@router.get("/train/jobs/{job_id}/mistakes", response_class=HTMLResponse, summary="Misclassified test digits (htmx fragment)")
def job_mistakes_fragment(request: Request, job_id: str, settings: SettingsDep,
                          mistake: Annotated[int, Query(ge=0, le=10_000)] = 0):
    ctx = job_context(request, settings, job_id, mistake)
    response = render(request, "partials/train_mistakes.html", ctx)
    response.headers["HX-Push-Url"] = f"/train/jobs/{job_id}?mistake={ctx['mistake_index']}"
    return response


def mnist_test_images(request: Request, settings: Settings) -> np.ndarray:
    """The 10 000 MNIST test digits, read once per web process (app.state, read-only)."""
    images = getattr(request.app.state, "train_mnist_test", None)
    if images is None:
        from app.ml.mnist import load_mnist

        images = load_mnist(settings).x_test
        request.app.state.train_mnist_test = images
    return images


@router.get("/train/digit/{index}.png", summary="One MNIST test digit as a PNG", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
def test_digit(request: Request, index: int, settings: SettingsDep):
    from PIL import Image

    images = mnist_test_images(request, settings)
    if not 0 <= index < len(images):
        raise UserError("jobs.not_found", 404)
    buf = io.BytesIO()
    Image.fromarray(255 - images[index]).save(buf, format="PNG")  # ink dark on paper, as drawn
    return Response(buf.getvalue(), media_type="image/png", headers={"cache-control": "public, max-age=86400"})


class JobCreated(BaseModel):
    id: str
    status: str = "queued"
    parameters: int
    url: str


JOB_EXAMPLES = {
    "train": {"summary": "a DNN on MNIST", "value": {
        "dataset": "mnist", "architecture": "dnn", "hidden_layers": [100, 100], "activation": "relu",
        "loss": "categorical_crossentropy", "optimizer": "sgd", "learning_rate": 0.087, "batch_size": 100, "epochs": 2}},
    "gan": {"summary": "a conditional GAN that writes digits", "value": {
        "kind": "gan", "dataset": "mnist", "epochs": 5, "batch_size": 128, "latent_dim": 64, "learning_rate": 0.0002}},
    "text": {"summary": "a poem model (the text lab)", "value": {
        "kind": "text", "corpus": "tang300", "cell": "lstm", "units": 128, "embedding": 64, "sequence_length": 32,
        "batch_size": 64, "learning_rate": 0.005, "epochs": 2}},
}


def _validated(model: type[BaseModel], body: dict) -> BaseModel:
    """The body as `model`, in strict JSON mode: "epochs": "5" or true is not a number of epochs."""
    try:
        return model.model_validate_json(json.dumps(body), strict=True)
    except ValidationError as exc:  # reported like FastAPI's own validation errors, in the learner's language
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc


@router.post("/api/jobs", status_code=201, response_model=JobCreated, summary="Train a network design (MNIST) or a poem model",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"oneOf": [{"$ref": "#/components/schemas/TrainDesign"}, {"$ref": "#/components/schemas/TextDesign"},
                                      {"$ref": "#/components/schemas/GanJobInput"}]},
                 "examples": JOB_EXAMPLES}}}})
def create_job(body: Annotated[dict[str, Any], Body()], settings: SettingsDep, owner: BrowserIdDep) -> JobCreated:
    """A TrainDesign (kind "train", the default) or a TextDesign (kind "text", app/labs/text.py).
    Validates the design and the limits (≤ max_jobs_per_browser active jobs → 429, ≤ max_parameters,
    ≤ max_epochs → 422), records the job and enqueues it. Follow it with GET /api/jobs/{id}."""
    kind = body.get("kind", "train")
    if kind == "text":
        text = _validated(TextDesign, body)
        count = sum(r["params"] for r in check_text_limits(settings, text))
        job_id = service.submit_job(settings, "text", text.model_dump(), owner)
    elif kind == "train":
        job_id, count = submit_design(settings, _validated(TrainDesign, {k: v for k, v in body.items() if k != "kind"}), owner)
    elif kind == "gan":  # a digit GAN (app/labs/gan.py): its page is /gan/jobs/{id}
        gan = _validated(GanJobInput, body)
        job_id = service.submit_job(settings, "gan", gan.model_dump(exclude={"kind"}, exclude_none=True), owner)
        return JobCreated(id=job_id, parameters=generator_parameters(gan.latent_dim), url=f"/gan/jobs/{job_id}")
    else:
        raise UserError("jobs.unknown_kind", 422, kind=str(kind)[:40])
    return JobCreated(id=job_id, parameters=count, url=f"/train/jobs/{job_id}")


@router.post("/api/train/preview", summary="A design's layer table, parameter count and Keras code")
def preview(request: Request, design: TrainDesign, settings: SettingsDep) -> dict[str, Any]:
    table = layer_table(design)
    return {"layers": [{**r, "shape": [None, *r["shape"]]} for r in table],
            "parameters": table_parameters(table), "max_parameters": settings.max_parameters,
            "code": keras_code(design, code_comments(request))}
