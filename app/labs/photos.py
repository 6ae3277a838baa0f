"""Lab: what does a pretrained CNN see in your photo? (slides 23–34, 44–48, 177)

Routes: GET /photos (the page), GET /photos/result (htmx fragment: an example photo's answer),
POST /photos/classify (htmx fragment, or a whole page without JavaScript: an uploaded photo's
answer), POST /api/photos/classify (JSON). The page's state is a PhotosState in the query
string — which model, which example photo:

    /photos?model=imagenet-mobilenet-v2&example=chelsea

An uploaded photo cannot live in a URL; it is classified in memory and never written to disk
(read_photo_form() reads the body into memory, stopping past the 15 MB limit: Starlette's form
parser would spool an upload over 1 MB to a temporary file).
`model` may be any manifest of task "photos": the ImageNet models, or a learner's own classifier
(its manifest carries `labels`), see app/ml/photos.classify().
"""

from __future__ import annotations

import logging
import time
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from app.deps import BrowserIdDep, ModelsDep
from app.events import publish_result
from app.labs import Lab
from app.ml import photos as photo_ml
from app.ml.registry import Manifest, ModelNotAvailable, ModelRegistry
from app.uploads import read_upload
from app.web import STATIC_DIR, UserError, describe_validation_error, render, static_url, translator

log = logging.getLogger(__name__)
router = APIRouter()
LAB = Lab(slug="photos", path="/photos", title_key="photos.nav", summary_key="photos.summary", steps=(1, 2, 6), icon="▣")

TASK = "photos"
DEFAULT_MODEL = "imagenet-mobilenet-v2"
ModelId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]

# Example photos shipped in static/gallery (licences in static/gallery/LICENSES.md).
GALLERY = {
    "chelsea": "photos.ex_chelsea",
    "coffee": "photos.ex_coffee",
    "rocket": "photos.ex_rocket",
    "camera": "photos.ex_camera",
    "astronaut": "photos.ex_astronaut",
    "hubble": "photos.ex_hubble",
}
EXAMPLE_NOTES = {"astronaut": "photos.ex_astronaut_note"}
GALLERY_DIR = STATIC_DIR / "gallery"


class PhotosState(BaseModel):
    """What /photos shows, as it appears in the URL."""

    model: ModelId = Field(DEFAULT_MODEL, description="the photo model that answers")
    example: str | None = Field(None, max_length=40, description="an example photo from the gallery")


class PhotoPrediction(BaseModel):
    class_index: int = Field(description="ImageNet's standard 0–999 index (or the position in a learner's own labels)")
    label_en: str
    label_zh: str
    probability: float = Field(ge=0, le=1)


class PhotoAnswer(BaseModel):
    model: str = Field(description="the model that answered")
    predictions: list[PhotoPrediction] = Field(description="the top classes, most probable first")


def query_string(model: str, example: str | None = None) -> str:
    return urlencode({"model": model, **({"example": example} if example else {})})


def find_model(models: ModelRegistry, model_id: str) -> Manifest:
    manifest = models.manifest(model_id)
    if manifest is None:
        raise UserError("photos.error_model", 404, model=model_id)
    if manifest.task != TASK:
        raise UserError("photos.error_model_task", 422, model=model_id)
    return manifest


def run_model(models: ModelRegistry, manifest: Manifest, data: bytes, top: int) -> photo_ml.Classification:
    try:
        return photo_ml.classify(models, manifest, data, top)
    except ModelNotAvailable as exc:
        raise UserError("photos.error_model_missing", 503, model=manifest.id) from exc
    except (OSError, ValueError, KeyError) as exc:  # a learner's model whose files or manifest are broken
        log.warning("photo model %s failed: %s", manifest.id, exc)
        raise UserError("photos.error_model_broken", 503, model=manifest.id) from exc


class ClassifyForm(BaseModel):
    """The form fields that come with an uploaded photo."""

    model: ModelId = Field(DEFAULT_MODEL, description="a photo model id (default: ImageNet MobileNetV2)")
    top: int = Field(5, ge=1, le=10, description="how many classes to return (1–10)")


MAX_BODY = photo_ml.MAX_UPLOAD_BYTES + 64 * 1024  # the photo plus the form's other fields


async def read_photo_form(request: Request) -> tuple[bytes, ClassifyForm]:
    """The uploaded photo's bytes (in memory only) and the form's other fields."""
    too_large = UserError("photos.error_too_large", 413, mb=photo_ml.MAX_UPLOAD_BYTES // (1024 * 1024))
    data, others = await read_upload(request, MAX_BODY, too_large=too_large, missing=UserError("photos.error_no_image"))
    try:
        return data, ClassifyForm(**{k: v for k, v in others.items() if k in ClassifyForm.model_fields})
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


MULTIPART_DOC = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["image"],
    "properties": {"image": {"type": "string", "format": "binary", "description": "the photo (at most 15 MB)"},
                   **{name: {k: v for k, v in schema.items() if k != "title"}
                      for name, schema in ClassifyForm.model_json_schema()["properties"].items()}}}}}}}


def example_bytes(example: str) -> bytes:
    if example not in GALLERY:
        raise UserError("photos.error_example", 404)
    return (GALLERY_DIR / f"{example}.jpg").read_bytes()


def server_timing(result: photo_ml.Classification, started: float, received: float | None = None) -> str:
    """decode, infer, total (app/ml/photos.classify), app (this handler) and, for uploads, server:
    from the first byte of the request body to the answer (bench/photos.py reports that one)."""
    now = time.perf_counter()
    t = dict(result.timings_ms, app=(now - started) * 1000, **({"server": (now - received) * 1000} if received else {}))
    return ", ".join(f"{name};dur={ms:.3f}" for name, ms in t.items())


def announce(request: Request, result: photo_ml.Classification, source: str) -> None:
    """Tell the classroom (app/events.py) what the CNN said; the photo itself never leaves."""
    best = result.predictions[0]
    label = best.label_zh if translator(request).lang == "zh-TW" else best.label_en
    publish_result(request, "photos", {
        "label": label, "label_en": best.label_en, "label_zh": best.label_zh, "class_index": best.class_index,
        "probability": round(best.probability, 4), "model": result.model_id, "source": source,
    })


def function_view(result: photo_ml.Classification, lang: str) -> dict:
    """Numbers for the function view: a 4 × 4 patch of the input, and all outputs as an SVG strip."""
    pixels = result.photo.pixels
    c = pixels.shape[0] // 2
    patch = [[tuple(int(v) for v in pixels[y, x]) for x in range(c - 2, c + 2)] for y in range(c - 2, c + 2)]
    p = result.probabilities
    n = int(p.size)
    width, height = 1000, 260
    bars = [{"x": round(i * width / n, 2), "h": round(float(v) * (height - 4), 2), "i": i}
            for i, v in enumerate(p) if v >= 0.002]
    best = result.predictions[0]
    return {
        "patch": patch, "n_out": n, "bars": bars, "width": width, "height": height, "bar_w": max(round(width / n, 2), 2.0),
        "best_x": round(best.class_index * width / n, 2), "best_label": best.label_zh if lang == "zh-TW" else best.label_en,
        "n_in_text": f"{int(pixels.size):,}", "shape": " × ".join(str(d) for d in pixels.shape),
    }


def result_context(request: Request, result: photo_ml.Classification, example: str | None = None) -> dict:
    lang = translator(request).lang
    t = result.timings_ms
    return {
        "result": result,
        "predictions": result.predictions,
        "crop_url": photo_ml.png_data_url(result.photo.pixels),
        "fn": function_view(result, lang),
        "example": example,
        "example_note": EXAMPLE_NOTES.get(example or ""),
        "timing": {"ms": f"{t['total']:.0f}", "decode": f"{t['decode']:.0f}", "infer": f"{t['infer']:.0f}"},
    }


def page_context(request: Request, models: ModelRegistry, browser: str, model_id: str, example: str | None) -> dict:
    lang = translator(request).lang
    listed = models.manifests(task=TASK, browser_id=browser)
    if model_id not in {m.id for m in listed}:  # a model opened by link (e.g. a learner's shared one)
        listed.append(find_model(models, model_id))
    return {
        "model_id": model_id,
        "choices": [{"id": m.id, "title": m.title(lang), "builtin": m.builtin} for m in listed],
        "gallery": [{"id": k, "title_key": v, "url": static_url(f"gallery/{k}.jpg"), "query": query_string(model_id, k)}
                    for k, v in GALLERY.items()],
        "max_mb": photo_ml.MAX_UPLOAD_BYTES // (1024 * 1024),
        "strings": translator(request).many("photos.camera_denied", "photos.sending", "photos.shrunk", "app.offline",
                                              "photos.error_empty", "photos.error_pdf", "photos.error_not_image"),
        "result": None,
        "example": example,
    }


@router.get("/photos", response_class=HTMLResponse, include_in_schema=False)
def photos_page(request: Request, models: ModelsDep, browser: BrowserIdDep):
    """A bad address (a typo in a shared link) still opens the lab, with the reason shown inline."""
    _ = translator(request)
    try:
        state = PhotosState.model_validate({k: v for k, v in request.query_params.items() if k in PhotosState.model_fields})
        manifest = find_model(models, state.model)
        ctx = page_context(request, models, browser, manifest.id, state.example)
        if state.example:
            ctx.update(result_context(request, run_model(models, manifest, example_bytes(state.example), 5), state.example))
        return render(request, "photos.html", ctx)
    except ValidationError as exc:
        details = _("errors.and").join(describe_validation_error(e, _) for e in exc.errors()[:5])
        error, status = {"message": _("errors.invalid", details=details), "code": "invalid"}, 422
    except UserError as exc:
        error, status = {"message": _(exc.key, **exc.params), "code": exc.key}, exc.status_code
    ctx = page_context(request, models, browser, DEFAULT_MODEL, None)
    return render(request, "photos.html", {**ctx, "error": {**error, "status_code": status}}, status)


@router.get("/photos/result", response_class=HTMLResponse, include_in_schema=False)
def photos_example_fragment(request: Request, models: ModelsDep, state: Annotated[PhotosState, Query()]):
    started = time.perf_counter()
    manifest = find_model(models, state.model)
    result = run_model(models, manifest, example_bytes(state.example or ""), 5)
    announce(request, result, "example")
    response = render(request, "partials/photos_result.html", result_context(request, result, state.example))
    response.headers["Server-Timing"] = server_timing(result, started)
    return response


def _upload_fragment(request: Request, models: ModelRegistry, browser: str, data: bytes, form: ClassifyForm, received: float):
    started = time.perf_counter()
    manifest = find_model(models, form.model)
    result = run_model(models, manifest, data, 5)
    announce(request, result, "upload")
    ctx = result_context(request, result)
    if request.headers.get("hx-request") == "true":
        response = render(request, "partials/photos_result.html", ctx)
    else:  # a form posted without JavaScript: the whole page
        response = render(request, "photos.html", {**page_context(request, models, browser, manifest.id, None), **ctx})
    response.headers["Server-Timing"] = server_timing(result, started, received)
    return response


@router.post("/photos/classify", response_class=HTMLResponse, include_in_schema=False, max_body_size=MAX_BODY)
async def photos_upload_fragment(request: Request, models: ModelsDep, browser: BrowserIdDep):
    received = time.perf_counter()
    data, form = await read_photo_form(request)
    return await run_in_threadpool(_upload_fragment, request, models, browser, data, form, received)


def _api_answer(request: Request, models: ModelRegistry, data: bytes, form: ClassifyForm, received: float) -> JSONResponse:
    started = time.perf_counter()
    manifest = find_model(models, form.model)
    result = run_model(models, manifest, data, form.top)
    announce(request, result, "api")
    body = PhotoAnswer(model=manifest.id, predictions=[PhotoPrediction(**p.as_json()) for p in result.predictions])
    return JSONResponse(body.model_dump(), headers={"Server-Timing": server_timing(result, started, received)})


@router.post("/api/photos/classify", response_model=PhotoAnswer, openapi_extra=MULTIPART_DOC, max_body_size=MAX_BODY,
             summary="Classify a photo: image → the top classes with English and Traditional Chinese labels",
             responses={404: {"description": "no such model"},
                        413: {"description": "upload over 15 MB, or too many pixels (a decompression bomb)"},
                        415: {"description": "not an image we read (JPEG, PNG, WebP, GIF, BMP, HEIC), e.g. a PDF"},
                        422: {"description": "no, empty, truncated, tiny (under 32 px) or animated image; bad `top`"},
                        503: {"description": "the model file is not downloaded and cannot be now"}})
async def photos_api(request: Request, models: ModelsDep):
    """Multipart fields: `image` (the photo), optional `model` (a photo model id) and `top` (1–10, default 5).
    Predictions are sorted by probability; `class_index` is ImageNet's standard 0–999 index."""
    received = time.perf_counter()
    data, form = await read_photo_form(request)
    return await run_in_threadpool(_api_answer, request, models, data, form, received)
