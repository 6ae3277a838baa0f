"""Lab: draw a digit and watch the function-learning machine read it, live (slides 159–174).

Routes: GET /digits (the page), POST /digits/predict (the htmx fragment: the 28×28 picture the
network sees and each model's 10 probabilities), POST /api/digits/predict (JSON), GET
/api/digits/models (the models this browser may pick). The page's state is a DigitsState in the
query string — which model, which one to compare it with, the brush size:

    /digits?model=digits-cnn&vs=digits-dnn&brush=18

`model` may also be a model a learner trained (its manifest in <data_dir>/models/<id>/): anyone
with the link can use it; the switch lists a browser's own models.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from markupsafe import Markup
from pydantic import BaseModel, Field

from app.deps import BrowserIdDep, ModelsDep
from app.events import publish_result
from app.labs import Lab
from app.ml import digits as digit_math
from app.ml.registry import Manifest, ModelRegistry
from app.uploads import read_upload
from app.web import UserError, render, run_limited, translator

log = logging.getLogger(__name__)
router = APIRouter()
LAB = Lab(slug="digits", path="/digits", title_key="digits.title", summary_key="digits.summary", steps=(2, 4, 6), icon="✍")

TASK = "digits"
ALIASES = {"cnn": "digits-cnn", "dnn": "digits-dnn"}  # the API's short names for the defaults
DEFAULT_MODEL, DEFAULT_VS = "digits-cnn", "digits-dnn"
ModelId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class DigitsState(BaseModel):
    """What /digits shows, as it appears in the URL."""

    model: ModelId = Field(DEFAULT_MODEL, description="the model that answers (cnn, dnn or a model id)")
    vs: ModelId | None = Field(DEFAULT_VS, description="a second model answering side by side ('none' for none)")
    brush: int = Field(18, ge=4, le=48, description="brush diameter on the 280×280 canvas, in pixels")


class DigitPrediction(BaseModel):
    model: str = Field(description="the model that answered, as asked: cnn, dnn or a model id")
    prediction: int = Field(ge=0, le=9, description="the most probable digit")
    probabilities: list[float] = Field(min_length=10, max_length=10, description="P(0) … P(9), summing to 1")
    input: list[list[int]] = Field(description="the 28×28 picture the network read: 0 (paper) … 255 (ink)")


class DigitModel(BaseModel):
    id: str
    title: str
    builtin: bool
    engine: str


@dataclass
class Answer:
    """One model's reading of the picture, ready for the page."""

    manifest: Manifest
    title: str
    probabilities: list[float]
    prediction: int
    ms: float

    @property
    def short(self) -> str:
        return short_title(self.title)

    @property
    def confidence(self) -> float:
        return self.probabilities[self.prediction]


def short_title(title: str) -> str:
    """"CNN（卷積）16→32…" → "CNN": the first word, for the one-line summary."""
    for mark in ("（", " (", " "):
        title = title.split(mark)[0]
    return title[:24]


def query_string(state: DigitsState) -> str:
    return urlencode({"model": state.model, "vs": state.vs or "none", "brush": state.brush})


def find_model(models: ModelRegistry, name: str) -> Manifest:
    """'cnn', 'dnn' or a model id → its manifest (a learner's model works by link, like a shared URL)."""
    manifest = models.manifest(ALIASES.get(name, name))
    if manifest is None or manifest.task != TASK:
        raise UserError("digits.error_unknown_model", 404, model=name)
    return manifest


def read_picture(models: ModelRegistry, manifest: Manifest, picture: np.ndarray) -> np.ndarray:
    """One model's 10 probabilities for the 28×28 picture (a model that cannot answer: 503)."""
    try:
        predictor = models.predictor(manifest.id)
        size = tuple((manifest.get("input") or {}).get("size") or (28, 28, 1))
        p = digit_math.probabilities(predictor, picture, size)
    except Exception as exc:  # a missing file, or a learner's model that does not take 28×28×1
        log.warning("digit model %s failed: %s", manifest.id, exc)
        raise UserError("digits.error_model_unavailable", 503, model=manifest.id) from exc
    if p.shape != (10,):
        raise UserError("digits.error_model_unavailable", 503, model=manifest.id)
    return p


def answer(models: ModelRegistry, manifest: Manifest, picture: np.ndarray, lang: str) -> Answer:
    started = time.perf_counter()
    p = read_picture(models, manifest, picture)
    probabilities = [float(v) for v in p]
    return Answer(manifest, manifest.title(lang), probabilities, int(np.argmax(p)), (time.perf_counter() - started) * 1000)


MAX_BODY = digit_math.MAX_UPLOAD_BYTES + 16 * 1024  # the image plus the form's other fields
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")


async def read_form(request: Request) -> tuple[bytes, dict[str, str]]:
    """The uploaded image and the other form fields, read in memory (a canvas PNG is ~4 kB; Starlette's
    form parser costs more than the network here), refusing bodies over 2 MB before reading them."""
    too_large = UserError("digits.error_too_big", 413, mb=digit_math.MAX_UPLOAD_BYTES // (1024 * 1024))
    return await read_upload(request, MAX_BODY, too_large=too_large, missing=UserError("digits.error_no_image", 422))


def model_name(value: str | None, default: str) -> str:
    if not value:
        return default
    if not MODEL_NAME.fullmatch(value):
        raise UserError("digits.error_unknown_model", 404, model=value[:40])
    return value


def model_names(model: str | None, vs: str | None) -> list[str]:
    """The model that answers, and the one to compare it with unless it is none or the same one."""
    model, vs = model_name(model, DEFAULT_MODEL), model_name(vs, "none")
    return [model] + ([vs] if vs != "none" and ALIASES.get(vs, vs) != ALIASES.get(model, model) else [])


UPLOAD_DOC = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["image"],
    "properties": {
        "image": {"type": "string", "format": "binary", "description": "the canvas as PNG, JPEG or WebP (at most 2 MB)"},
        "model": {"type": "string", "default": "cnn", "description": "cnn (default), dnn, or the id of a trained digit model"},
    }}}}}}


@dataclass
class PixelMarks:
    squares: Markup  # <rect> per inked square, opacity = value / 255
    numbers: Markup  # <text> per inked square: its value 0–255


def pixel_marks(pixels: list[list[int]]) -> PixelMarks:
    """SVG for the squares of the 28×28 picture that hold ink (most are paper). Only numbers go
    into this markup, so it is safe without escaping."""
    squares, numbers = [], []
    for y, row in enumerate(pixels):
        for x, v in enumerate(row):
            if v:
                squares.append(f'<rect x="{x}" y="{y}" width="1" height="1" fill-opacity="{v / 255:.3f}"/>')
                light = ' class="on"' if v > 127 else ""  # light text on dark ink
                numbers.append(f'<text x="{x + 0.5}" y="{y + 0.62}"{light}>{v}</text>')
    return PixelMarks(Markup("".join(squares)), Markup("".join(numbers)))


def server_timing(**durations_ms: float) -> str:
    """Server-Timing header: the browser's dev tools (and bench/digits.py) read the server's own time."""
    return ", ".join(f"{name};dur={ms:.3f}" for name, ms in durations_ms.items())


def switch_models(models: ModelRegistry, browser: str, state: DigitsState, lang: str) -> list[dict]:
    """The models to pick from: the defaults, this browser's own, and one opened by link."""
    listed = models.manifests(task=TASK, browser_id=browser)
    ids = {m.id for m in listed}
    for wanted in (state.model, state.vs):
        wanted = ALIASES.get(wanted or "", wanted)
        if wanted and wanted not in ids and wanted != "none":
            found = models.manifest(wanted)
            if found is not None and found.task == TASK:
                listed.append(found)
                ids.add(found.id)
    return [{"id": m.id, "title": m.title(lang), "builtin": m.builtin} for m in listed]


def page_context(request: Request, models: ModelRegistry, browser: str, state: DigitsState) -> dict:
    _ = translator(request)
    main = find_model(models, state.model)
    vs = find_model(models, state.vs) if state.vs and state.vs != "none" else None
    if vs is not None and vs.id == main.id:
        vs = None  # the same model twice says nothing new
    return {
        "state": state,
        "query": query_string(state),
        "choices": switch_models(models, browser, state, _.lang),
        "model_id": main.id,
        "vs_id": vs.id if vs else "none",
        "pixels": None,
        "answers": [{"title": m.title(_.lang), "short": short_title(m.title(_.lang)), "id": m.id} for m in ([main, vs] if vs else [main])],
        "one_hot_digit": 7,
        "strings": _.many("digits.readout", "digits.readout_hint", "digits.error_offline", "digits.working", "digits.confidence",
                          "digits.draw_prompt", "digits.seen_empty"),
    }


@router.get("/digits", response_class=HTMLResponse, summary="The digit lab (page)")
def digits_page(request: Request, models: ModelsDep, browser: BrowserIdDep, state: Annotated[DigitsState, Query()]):
    return render(request, "digits.html", page_context(request, models, browser, state))


def predict_both(request: Request, models: ModelRegistry, data: bytes, names: list[str]):
    lang = translator(request).lang
    manifests = [find_model(models, name) for name in names]
    started = time.perf_counter()
    picture = digit_math.preprocess(data)
    prepared = time.perf_counter()
    answers = [answer(models, m, picture, lang) for m in manifests]
    done = time.perf_counter()
    timing = server_timing(preprocess=(prepared - started) * 1000, model=answers[0].ms, app=(prepared - started) * 1000 + answers[0].ms,
                           total=(done - started) * 1000)
    pixels = digit_math.as_pixels(picture)
    publish_result(request, "digits", {"prediction": answers[0].prediction, "model": names[0], "input": pixels})
    return pixels, answers, timing


@router.post("/digits/predict", response_class=HTMLResponse, include_in_schema=False)
async def digits_fragment(request: Request, models: ModelsDep):
    """The htmx fragment: the picture and each model's answer (fields image, model, vs)."""
    data, form = await read_form(request)
    names = model_names(form.get("model"), form.get("vs"))
    pixels, answers, timing = await run_limited(request, "digits", predict_both, request, models, data, names)
    response = render(request, "partials/digits_result.html", {"pixels": pixels, "marks": pixel_marks(pixels), "answers": answers})
    response.headers["Server-Timing"] = timing
    return response


@router.post("/api/digits/predict", response_model=DigitPrediction, openapi_extra=UPLOAD_DOC,
             summary="Read a handwritten digit: image → the 28×28 input and 10 probabilities",
             responses={413: {"description": "upload over 2 MB, or too many pixels"},
                        415: {"description": "not a PNG, JPEG or WebP image"},
                        422: {"description": "empty canvas (draw a digit first), no image, broken or tiny image"},
                        404: {"description": "no such digit model"},
                        503: {"description": "the model cannot be used now"}})
async def digits_api(request: Request, models: ModelsDep):
    data, form = await read_form(request)
    model = model_name(form.get("model"), "cnn")
    pixels, answers, timing = await run_limited(request, "digits", predict_both, request, models, data, [model])  # the compute: off the event loop
    body = {"model": model, "prediction": answers[0].prediction, "probabilities": answers[0].probabilities, "input": pixels}
    return JSONResponse(body, headers={"Server-Timing": timing})  # the shape of DigitPrediction, without re-validating 784 ints


@router.get("/api/digits/models", response_model=list[DigitModel], summary="The digit models this browser can choose")
def digits_models(request: Request, models: ModelsDep, browser: BrowserIdDep) -> list[DigitModel]:
    lang = translator(request).lang
    return [DigitModel(id=m.id, title=m.title(lang), builtin=m.builtin, engine=m["engine"])
            for m in models.manifests(task=TASK, browser_id=browser)]
