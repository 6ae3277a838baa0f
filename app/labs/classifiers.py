"""Lab: teach it your own classes from a few photos (transfer learning, the lecture's myna demo).

Routes
    GET  /classifiers                      my classifiers + a form to name 2–6 classes (page)
    POST /classifiers                      create from the form → /classifiers/{id}
    GET  /classifiers/{id}                 classes, photos, train, results, try it (page)
    POST /classifiers/{id}/classes/{k}/photos    add photos (htmx: the class card; else back to the page)
    POST /classifiers/{id}/photos/{p}/remove     remove a photo (the class card)
    GET  /classifiers/{id}/classes/{k}     one class card (htmx fragment)
    POST /classifiers/{id}/train           start training (the status panel)
    GET  /classifiers/{id}/status          the status panel; polls itself while the job runs
    POST /classifiers/{id}/try             classify a photo with it (htmx fragment)
    POST /classifiers/{id}/delete          delete photos and model → /classifiers
    GET  /classifiers/{id}/photos/{p}.jpg  a stored 224 × 224 photo (its owner only)
JSON API: POST /api/classifiers, GET /api/classifiers[/{id}], POST /api/classifiers/{id}/classes/{k}/images,
DELETE /api/classifiers/{id}/photos/{p}, POST /api/classifiers/{id}/train, DELETE /api/classifiers/{id}.
A trained classifier is used like any photo model: POST /api/photos/classify with model=<id>.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from app.classifiers import service
from app.classifiers.answers import classifier_view, progress_fraction, try_verdict
from app.deps import BrowserIdDep, ModelsDep, SettingsDep
from app.jobs.service import get_job
from app.labs import Lab
from app.labs.train_form import progress_charts
from app.ml.photos import MAX_UPLOAD_BYTES, classify, png_data_url
from app.ml.registry import ModelNotAvailable
from app.settings import Settings
from app.web import UserError, is_htmx, render, translator

router = APIRouter()
LAB = Lab(slug="classifiers", path="/classifiers", title_key="classifiers.nav", summary_key="classifiers.summary",
          steps=(3, 4, 5, 6), icon="◈")

PRESETS = {  # the lecture's Demo02: three mynas found in Taiwan
    "myna": ("classifiers.preset_myna_name", ["classifiers.myna_common", "classifiers.myna_crested", "classifiers.myna_javan"]),
}


# --- request and answer models (the JSON API) ---------------------------------------------------

class NewClassifier(BaseModel):
    name: str = Field("", max_length=60, description="a name for it, e.g. 八哥辨識器")
    classes: list[str] = Field(description="2–6 class names, Chinese and/or English, all different",
                               examples=[["家八哥", "土八哥", "白尾八哥"]])


class TrainRequest(BaseModel):
    seed: int = Field(0, ge=0, le=2**31 - 1, description="which photos are held out, and the head's starting weights")
    holdout: int | None = Field(None, ge=1, le=5, description="photos per class held out for validation "
                                "(default: 1 of 5, 2 of 10, 3 of 15 or more)")
    base: str | None = Field(None, max_length=80, description="the frozen base: a model of task \"embedding\" "
                             "(default imagenet-mobilenet-v1-embedding)")


class Counts(BaseModel):
    id: str
    counts: list[int] = Field(description="photos per class, in class order")
    total: int


class JobStarted(BaseModel):
    job_id: str = Field(description="watch it with GET /api/jobs/{job_id}")


class FormState(BaseModel):
    """The create form's prefill, as it appears in the URL (/classifiers?preset=myna)."""

    preset: str | None = Field(None, max_length=20)


# What one request may carry: 200 photos shrunk by the page (≤ 400 kB each), or a few full-size ones
# sent without JavaScript; cut off while it streams in (app/security.py), never stored past this.
PHOTOS_BODY = 96 * 1024 * 1024
ONE_PHOTO_BODY = MAX_UPLOAD_BYTES + 64 * 1024


# --- helpers ------------------------------------------------------------------------------------

def _too_large(request: Request, filename: str) -> UserError:
    _ = translator(request)
    return UserError("classifiers.error_bad_file", 413, file=filename or "?",
                     problem=_("photos.error_too_large", mb=MAX_UPLOAD_BYTES // (1024 * 1024)))


def upload(request: Request, settings: Settings, cid: str, owner: str, index: int,
           images: list[UploadFile] | None) -> dict[str, Any]:
    if not images:
        raise UserError("classifiers.error_no_files")
    if len(images) > service.MAX_PHOTOS:
        raise UserError("classifiers.error_too_many_photos", 413, max=service.MAX_PHOTOS, left=service.MAX_PHOTOS)
    files = []
    for image in images:
        if not image.filename and not image.size:
            continue  # the unused one of the two file fields (upload, camera) of a form sent without JavaScript
        data = image.file.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise _too_large(request, image.filename or "")
        files.append((image.filename or "", data))
    return service.add_photos(settings, cid, owner, index, files, translator(request))


def page_view(request: Request, settings: Settings, cid: str, owner: str) -> dict[str, Any]:
    c = service.owned(settings, cid, owner)
    view = classifier_view(settings, c, translator(request))
    share = str(request.base_url).rstrip("/") + view["links"]["photo_lab"]
    strings = translator(request).many("classifiers.uploading", "classifiers.shrinking", "classifiers.copied", "app.offline")
    lang = translator(request).lang
    bases = [{"id": m.id, "title": m.title(lang)} for m in request.app.state.registry.manifests(task="embedding")]
    return {"c": view, "share_url": share, "progress": progress_fraction(view["job"]),
            "charts": charts(request, settings, view), "strings": strings, "bases": bases}


def charts(request: Request, settings: Settings, view: dict[str, Any]) -> list:
    """Loss and accuracy per epoch of the latest training (the train lab's charts)."""
    job = view["job"]
    if not job or job["status"] in ("queued",) or not job.get("epochs"):
        return []
    row = get_job(settings, job["id"])
    if row is None or not (row.progress or {}).get("history"):
        return []
    return progress_charts(row.progress, int(job["epochs"]), translator(request))


def class_card(request: Request, settings: Settings, cid: str, owner: str, index: int, status_code: int = 200):
    ctx = page_view(request, settings, cid, owner)
    if not 0 <= index < len(ctx["c"]["classes"]):
        raise UserError("classifiers.error_no_class", 404, index=index)
    response = render(request, "partials/classifiers_class.html", {**ctx, "cl": ctx["c"]["classes"][index]}, status_code)
    response.headers["HX-Trigger"] = "classifier-changed"  # the status panel refreshes its checklist
    return response


# --- pages and fragments ------------------------------------------------------------------------

@router.get("/classifiers", response_class=HTMLResponse, summary="My classifiers and a new one (page)")
def classifiers_page(request: Request, settings: SettingsDep, owner: BrowserIdDep, state: Annotated[FormState, Query()]):
    _ = translator(request)
    name, classes = "", ["", ""]
    if state.preset in PRESETS:
        key, class_keys = PRESETS[state.preset]
        name, classes = _(key), [_(k) for k in class_keys]
    mine = [classifier_view(settings, c, _) for c in service.mine(settings, owner)]
    return render(request, "classifiers.html", {"mine": mine, "form": {"name": name, "classes": classes},
                                                "presets": list(PRESETS), "max_classes": service.MAX_CLASSES,
                                                "error": None})


@router.post("/classifiers", response_class=HTMLResponse, summary="Create a classifier from the form")
def create_from_form(request: Request, settings: SettingsDep, owner: BrowserIdDep,
                     name: Annotated[str, Form(max_length=60)] = "",
                     classes: Annotated[list[str], Form(max_length=12)] = []):
    given = [c for c in classes if c.strip()]
    try:
        cid = service.create(settings, owner, name, given)
    except UserError as exc:
        _ = translator(request)
        mine = [classifier_view(settings, c, _) for c in service.mine(settings, owner)]
        form = {"name": name, "classes": (classes + ["", ""])[: max(2, len(classes))]}
        return render(request, "classifiers.html", {"mine": mine, "form": form, "presets": list(PRESETS),
                                                    "max_classes": service.MAX_CLASSES,
                                                    "error": _(exc.key, **exc.params)}, exc.status_code)
    return RedirectResponse(f"/classifiers/{cid}", status_code=303)


@router.get("/classifiers/{cid}", response_class=HTMLResponse, summary="One classifier (page)")
def classifier_page(request: Request, cid: str, settings: SettingsDep, owner: BrowserIdDep):
    return render(request, "classifiers_one.html", page_view(request, settings, cid, owner))


@router.get("/classifiers/{cid}/classes/{index}", response_class=HTMLResponse, summary="One class card (htmx fragment)")
def class_fragment(request: Request, cid: str, index: int, settings: SettingsDep, owner: BrowserIdDep):
    return class_card(request, settings, cid, owner, index)


@router.post("/classifiers/{cid}/classes/{index}/photos", response_class=HTMLResponse,
             summary="Add photos to a class (htmx: the class card; without JavaScript: back to the page)",
             max_body_size=PHOTOS_BODY)
def add_photos_fragment(request: Request, cid: str, index: int, settings: SettingsDep, owner: BrowserIdDep,
                        images: list[UploadFile] | None = File(None)):
    upload(request, settings, cid, owner, index, images)
    if is_htmx(request):
        return class_card(request, settings, cid, owner, index)
    return RedirectResponse(f"/classifiers/{cid}#class-{index}", status_code=303)


@router.post("/classifiers/{cid}/photos/{photo_id}/remove", response_class=HTMLResponse, summary="Remove a photo")
def remove_photo_fragment(request: Request, cid: str, photo_id: int, settings: SettingsDep, owner: BrowserIdDep,
                          index: Annotated[int, Form(ge=0, le=5)] = 0):
    service.remove_photo(settings, cid, owner, photo_id)
    if is_htmx(request):
        return class_card(request, settings, cid, owner, index)
    return RedirectResponse(f"/classifiers/{cid}#class-{index}", status_code=303)


@router.get("/classifiers/{cid}/status", response_class=HTMLResponse, summary="Training status and results (htmx fragment)")
def status_fragment(request: Request, cid: str, settings: SettingsDep, owner: BrowserIdDep):
    return render(request, "partials/classifiers_status.html", page_view(request, settings, cid, owner))


@router.post("/classifiers/{cid}/train", response_class=HTMLResponse, summary="Start training (htmx: the status panel)")
def train_fragment(request: Request, cid: str, settings: SettingsDep, owner: BrowserIdDep,
                   base: Annotated[str | None, Form(max_length=80)] = None):
    service.start_training(settings, cid, owner, base=base)
    if is_htmx(request):
        return render(request, "partials/classifiers_status.html", page_view(request, settings, cid, owner))
    return RedirectResponse(f"/classifiers/{cid}#status", status_code=303)


@router.post("/classifiers/{cid}/try", response_class=HTMLResponse, summary="Classify a photo with it (htmx fragment)",
             max_body_size=ONE_PHOTO_BODY)
def try_fragment(request: Request, cid: str, settings: SettingsDep, models: ModelsDep, owner: BrowserIdDep,
                 image: list[UploadFile] | None = File(None, description="the upload field and the camera field")):
    c = service.owned(settings, cid, owner)
    if not service.ensure_model(settings, c) or (manifest := models.manifest(cid)) is None:
        raise UserError("classifiers.error_not_trained", 409)
    chosen = next((f for f in image or [] if f.filename), None)  # whichever of the two fields was used
    if chosen is None:
        raise UserError("classifiers.error_no_files")
    data = chosen.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _too_large(request, chosen.filename or "")
    try:
        result = classify(models, manifest, data, top=service.MAX_CLASSES)
    except ModelNotAvailable as exc:
        raise UserError("classifiers.error_not_trained", 503) from exc

    return render(request, "partials/classifiers_try.html",
                  {"predictions": result.predictions, "crop_url": png_data_url(result.photo.pixels),
                   **try_verdict(result.predictions)})


@router.post("/classifiers/{cid}/delete", summary="Delete its photos and model (form) → my classifiers")
def delete_from_form(cid: str, settings: SettingsDep, models: ModelsDep, owner: BrowserIdDep):
    service.delete(settings, cid, owner, models)
    return RedirectResponse("/classifiers?" + urlencode({"deleted": "1"}), status_code=303)


@router.get("/classifiers/{cid}/photos/{photo_id}.jpg", summary="A stored photo (224 × 224; its owner only)",
            responses={200: {"content": {"image/jpeg": {}}}})
def photo_file(cid: str, photo_id: int, settings: SettingsDep, owner: BrowserIdDep) -> Response:
    data = service.photo_jpeg(settings, cid, owner, photo_id)
    return Response(data, media_type="image/jpeg", headers={"cache-control": "private, max-age=3600"})


# --- JSON API -----------------------------------------------------------------------------------

@router.post("/api/classifiers", status_code=201, tags=["classifiers"],
             summary="Name 2–6 classes: a new classifier (then add ≥ 5 photos a class and train)")
def api_create(body: NewClassifier, settings: SettingsDep, owner: BrowserIdDep, request: Request) -> dict[str, Any]:
    cid = service.create(settings, owner, body.name, body.classes)
    return classifier_view(settings, service.get(settings, cid), translator(request))


@router.get("/api/classifiers", tags=["classifiers"], summary="This browser's classifiers")
def api_list(settings: SettingsDep, owner: BrowserIdDep, request: Request) -> list[dict[str, Any]]:
    return [classifier_view(settings, c, translator(request)) for c in service.mine(settings, owner)]


@router.get("/api/classifiers/{cid}", tags=["classifiers"], summary="A classifier: classes, photo counts, training, model")
def api_get(cid: str, settings: SettingsDep, owner: BrowserIdDep, request: Request) -> dict[str, Any]:
    return classifier_view(settings, service.owned(settings, cid, owner), translator(request))


@router.post("/api/classifiers/{cid}/classes/{index}/images", response_model=Counts, tags=["classifiers"],
             summary="Add photos to class `index` (multipart, field `images`, repeated) → photo counts",
             responses={413: {"description": "a file over 15 MB, or more than 200 photos in all"},
                        415: {"description": "a file that is not an image"}}, max_body_size=PHOTOS_BODY)
def api_add_images(request: Request, cid: str, index: int, settings: SettingsDep, owner: BrowserIdDep,
                   images: list[UploadFile] | None = File(None, description="photos (JPEG, PNG, WebP, …; ≤ 15 MB each)")):
    return upload(request, settings, cid, owner, index, images)


@router.delete("/api/classifiers/{cid}/photos/{photo_id}", response_model=Counts, tags=["classifiers"],
               summary="Remove one photo → photo counts")
def api_remove_photo(cid: str, photo_id: int, settings: SettingsDep, owner: BrowserIdDep):
    return service.remove_photo(settings, cid, owner, photo_id)


@router.post("/api/classifiers/{cid}/train", status_code=202, response_model=JobStarted, tags=["classifiers"],
             summary="Train it on the worker (needs ≥ 5 photos a class) → a job to watch with GET /api/jobs/{job_id}",
             responses={409: {"description": "it is training already"}, 422: {"description": "too few photos"}})
def api_train(cid: str, settings: SettingsDep, owner: BrowserIdDep, body: TrainRequest | None = None):
    body = body or TrainRequest()
    return {"job_id": service.start_training(settings, cid, owner, seed=body.seed, holdout=body.holdout, base=body.base)}


@router.delete("/api/classifiers/{cid}", tags=["classifiers"], summary="Delete its photos and its model")
def api_delete(cid: str, settings: SettingsDep, models: ModelsDep, owner: BrowserIdDep) -> dict[str, Any]:
    service.delete(settings, cid, owner, models)
    return {"id": cid, "deleted": True}
