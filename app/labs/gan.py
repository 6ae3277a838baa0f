"""Lab: the GAN (slides 77–82), in two parts.

/gan, two networks playing in the plane (after poloclub's GAN Lab): real points (a ring of 8
Gaussians, a line, two clusters, or a shape the learner draws), the generator's fakes, the
discriminator's verdict as a heat map and, for each fake, the way G's next step pushes it. It
trains in the browser (static/js/gan.js on nn.js, the twin of app/nn/gan.py; tests/browser/
test_gan_parity.py compares their numbers), so a whole class costs the server nothing.
Its state is the query string, e.g. /gan?dist=ring&dlr=0.003&glr=0.003&dsteps=1&opt=adam&seed=1

/gan/digits, a GAN that writes digits: train a conditional GAN on the worker, watch its digits get
better epoch by epoch, and ask any generator for digits.

Routes:
  GET  /gan                      the 2-D GAN (the page; everything runs in the browser)
  POST /api/gan/jobs             {"kind": "gan", "dataset": "mnist", "epochs": 5, …} → {"id"}
                                 (then the generic GET /api/jobs/{id})
  GET  /gan/jobs/{id}            the job page: progress and a grid of generated digits per epoch
  GET  /gan/jobs/{id}/progress   its htmx fragment (polled while the job runs)
  GET  /gan/jobs/{id}/grid/{epoch}.png   one epoch's grid: a row per digit 0–9
  POST /api/gan/generate         {"model": "default" | <job id>, "digit": 3, "count": 16, "seed": 1}
                                 → {"images": [28×28 lists of 0–255, white on black as in MNIST]}
  GET  /gan/digits               the page: pick a digit, see 16 fakes and what the digit lab's CNN
                                 reads in each; a button trains a GAN of your own on the worker
  GET  /gan/digits/result        its htmx fragment;   POST /gan/digits/train  the form → the job page

The web process runs the generator in numpy (app/ml/gan.py: numpy_generate), never Keras.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, Form, Path as PathParam, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.labs import Lab
from app.labs.forms import parse_query
from app.deps import BrowserIdDep, ModelsDep, SettingsDep
from app.jobs import service
from app.jobs.api import load_job
from app.ml.gan import BATCH_SIZE, LATENT_DIM, LEARNING_RATE, numpy_generate
from app.ml.gan_job import GRID_FILE, WEIGHTS_FILE
from app.ml.mnist import as_model_input
from app.nn.gan import DISTRIBUTIONS, ETA, OPTIMIZERS
from app.settings import Settings
from app.errors import FieldError, UserError
from app.web import render, translator

router = APIRouter()
LAB = Lab(slug="gan", path="/gan", title_key="gan.lab_title", summary_key="gan.lab_summary", steps=(4, 6), icon="✍")

DEFAULT_WEIGHTS = Path(__file__).resolve().parent.parent.parent / "models" / "gan-digits.npz"
MAX_EPOCHS = 30
MAX_COUNT = 64
READER = "digits-cnn"  # the digit lab's CNN, trained on real MNIST only


class GanJobInput(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"kind": "gan", "dataset": "mnist", "epochs": 5, "batch_size": 128, "latent_dim": 64, "learning_rate": 0.0002}]})

    kind: Literal["gan"] = "gan"
    dataset: Literal["mnist"] = "mnist"
    epochs: int = Field(5, ge=1, le=MAX_EPOCHS)
    batch_size: int = Field(BATCH_SIZE, ge=16, le=1024)
    latent_dim: int = Field(LATENT_DIM, ge=2, le=256)
    learning_rate: float = Field(LEARNING_RATE, gt=0, le=0.01)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    train_subset: int | None = Field(None, ge=100, le=60000, description="train on the first n images only (tests, demos)")


class GenerateInput(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"model": "default", "digit": 3, "count": 16, "seed": 1}]})

    model: str = Field("default", max_length=32, description='"default" or the id of a finished gan job')
    digit: int = Field(ge=0, le=9)
    count: int = Field(16, ge=1, le=MAX_COUNT)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class CnnReading(BaseModel):
    digit: int = Field(description="what the digit lab's CNN reads")
    probability: float


class GenerateOut(BaseModel):
    model: str
    digit: int
    images: list[list[list[int]]]
    cnn: list[CnnReading] = Field(description="does our CNN believe the fake? The digit lab's CNN reads each image")


class JobCreated(BaseModel):
    id: str
    status: str = "queued"


@lru_cache(maxsize=8)
def _weights_from_bytes(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data)) as z:
        return {k: z[k] for k in z.files}


def generator_weights(settings: Settings, model: str) -> dict[str, np.ndarray]:
    if model == "default":
        if not DEFAULT_WEIGHTS.exists():
            raise UserError("gan.no_default", 404)
        return _weights_from_bytes(DEFAULT_WEIGHTS.read_bytes())
    job = service.get_job(settings, model)
    stored = service.load_file(settings, model, WEIGHTS_FILE) if job is not None and job.kind == "gan" else None
    if stored is None:
        raise UserError("gan.no_model", 404, model=model)
    return _weights_from_bytes(stored[0])


@router.post("/api/gan/jobs", status_code=201, response_model=JobCreated, summary="Train a conditional digit GAN on the worker")
def create_gan_job(body: GanJobInput, settings: SettingsDep, owner: BrowserIdDep) -> JobCreated:
    return JobCreated(id=service.submit_job(settings, "gan", body.model_dump(exclude={"kind"}, exclude_none=True), owner))


@router.post("/api/gan/generate", response_model=GenerateOut, summary="Digits from the default generator or a finished GAN job")
def generate_api(body: GenerateInput, settings: SettingsDep, models: ModelsDep) -> GenerateOut:
    images = numpy_generate(generator_weights(settings, body.model), body.digit, body.count, body.seed)
    p = models.predictor(READER).predict(as_model_input(images))
    cnn = [CnnReading(digit=int(row.argmax()), probability=float(row.max())) for row in p]
    return GenerateOut(model=body.model, digit=body.digit, images=images.tolist(), cnn=cnn)


JobId = Annotated[str, PathParam(max_length=32)]


def job_context(request: Request, settings: Settings, job_id: str) -> dict:
    job = load_job(settings, job_id)
    if job.kind != "gan":
        raise UserError("jobs.not_found", 404)
    view = service.job_view(settings, job, translator(request))
    done = [h["epoch"] for h in (view.get("history") or [])]
    return {"job": view, "job_id": job_id, "epochs_done": done, "active": view["status"] in ("queued", "running"),
            "params": job.params}


@router.get("/gan/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
def gan_job_page(request: Request, job_id: JobId, settings: SettingsDep):
    return render(request, "gan_job.html", job_context(request, settings, job_id))


@router.get("/gan/jobs/{job_id}/progress", response_class=HTMLResponse, include_in_schema=False)
def gan_job_fragment(request: Request, job_id: JobId, settings: SettingsDep):
    return render(request, "partials/gan_job_progress.html", job_context(request, settings, job_id))


@router.get("/gan/jobs/{job_id}/grid/{epoch}.png", include_in_schema=False)
def gan_grid(job_id: JobId, epoch: Annotated[int, PathParam(ge=1, le=MAX_EPOCHS)], settings: SettingsDep):
    stored = service.load_file(settings, job_id, GRID_FILE.format(epoch=epoch))
    if stored is None:
        raise UserError("jobs.not_found", 404)
    return Response(stored[0], media_type="image/png", headers={"cache-control": "max-age=86400"})


class DigitsState(BaseModel):
    """What /gan/digits shows, as it appears in the URL."""

    digit: int = Field(3, ge=0, le=9)
    seed: int = Field(1, ge=0, le=2**31 - 1)
    model: str = Field("default", max_length=32)


def png_data_uri(image: np.ndarray) -> str:
    import base64

    from app.ml.gan import png_bytes

    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode()


def digits_context(settings: Settings, models, state: DigitsState) -> dict:
    out = generate_api(GenerateInput(model=state.model, digit=state.digit, count=16, seed=state.seed), settings, models)
    tiles = [{"src": png_data_uri(np.array(im, dtype=np.uint8)), "read": c.digit, "p": c.probability}
             for im, c in zip(out.images, out.cnn)]
    return {"state": state, "tiles": tiles, "believed": sum(t["read"] == state.digit for t in tiles),
            "query": f"digit={state.digit}&seed={state.seed}&model={state.model}"}


@router.get("/gan/digits", response_class=HTMLResponse, include_in_schema=False)
def gan_digits_page(request: Request, settings: SettingsDep, models: ModelsDep, state: Annotated[DigitsState, Query()]):
    return render(request, "gan_digits.html", digits_context(settings, models, state))


@router.get("/gan/digits/result", response_class=HTMLResponse, include_in_schema=False)
def gan_digits_fragment(request: Request, settings: SettingsDep, models: ModelsDep, state: Annotated[DigitsState, Query()]):
    response = render(request, "partials/gan_digits_result.html", digits_context(settings, models, state))
    response.headers["HX-Push-Url"] = f"/gan/digits?{response.context['query']}"
    return response


@router.post("/gan/digits/train", include_in_schema=False)
def gan_digits_train(settings: SettingsDep, owner: BrowserIdDep, epochs: Annotated[int, Form(ge=1, le=MAX_EPOCHS)] = 5):
    job_id = service.submit_job(settings, "gan", GanJobInput(epochs=epochs).model_dump(exclude={"kind"}, exclude_none=True), owner)
    return RedirectResponse(f"/gan/jobs/{job_id}", status_code=303)


# ---- /gan: the 2-D GAN, trained in the browser ----

LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
MAX_D_STEPS = 5
MAX_DRAWN = 200  # drawn points kept in the address


class PlaneState(BaseModel):
    """What /gan shows, as it appears in the URL."""

    dist: str = "ring"
    dlr: float = Field(ETA, gt=0, le=1, allow_inf_nan=False, description="D's learning rate")
    glr: float = Field(ETA, gt=0, le=1, allow_inf_nan=False, description="G's learning rate")
    dsteps: int = Field(1, ge=1, le=MAX_D_STEPS, description="D steps per G step")
    opt: str = "adam"
    seed: int = Field(1, ge=0, le=2**31 - 1)
    slow: int = Field(0, ge=0, le=1, description="slow motion: one step at a time")
    map: int = Field(0, ge=0, le=1, description="draw G's map of the noise square")
    pts: str = Field("", max_length=MAX_DRAWN * 12, description="the drawn shape: x,y;… in [−1, 1]²")

    @field_validator("dist", "opt")
    @classmethod
    def _known_choice(cls, v, info):
        choices = {"dist": DISTRIBUTIONS, "opt": OPTIMIZERS}[info.field_name]
        if v not in choices:
            raise FieldError("gan.unknown_choice", choices=" / ".join(choices))
        return v

    @field_validator("pts")
    @classmethod
    def _pts(cls, v):
        rows = [r for r in v.split(";") if r]
        if len(rows) > MAX_DRAWN:
            raise FieldError("gan.bad_points", limit=MAX_DRAWN)
        for r in rows:
            try:
                x, y = (float(t) for t in r.split(","))
            except ValueError:
                raise FieldError("gan.bad_points", limit=MAX_DRAWN) from None
            if not (abs(x) <= 1 and abs(y) <= 1):
                raise FieldError("gan.bad_points", limit=MAX_DRAWN)
        return ";".join(rows)


@router.get("/gan", response_class=HTMLResponse, include_in_schema=False)
def gan_page(request: Request):
    state, error = parse_query(PlaneState, request)
    context = {"state": state, "distributions": DISTRIBUTIONS, "optimizers": OPTIMIZERS,
               "learning_rates": LEARNING_RATES, "max_d_steps": MAX_D_STEPS, "max_drawn": MAX_DRAWN, "error": error}
    return render(request, "gan.html", context, 422 if error else 200)
