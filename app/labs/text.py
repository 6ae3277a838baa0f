"""Lab: AI writes Tang poems (slides 219–225) — the next character from this one and the memory.

Routes
    GET  /text                      the generator page (state: TextState in the query string)
    GET  /text/generate             htmx fragment: the written characters, each with its top-5 bars
    GET  /text/train                design a poem model (state: TextForm in the query string)
    GET  /text/train/design         htmx fragment: the form, layer table and Keras code
    POST /text/jobs                 the form's "train" button → the generic job page /train/jobs/{id}
    GET  /text/corpus/{name}.jsonl  the poems, for the Keras code in Colab
    POST /api/text/generate         {"model", "prompt", "length", "temperature", "seed"} → text and steps
    POST /api/text/preview          a TextDesign → its layer table, parameter count and Keras code
    GET  /api/text/models           the poem models this browser may pick
    (POST /api/jobs with "kind": "text" is in app/labs/train.py, which owns that route.)

The generator's state, e.g. /text?model=default&prompt=床前明月&length=24&temperature=0.8&seed=1.
`model` is "default" or the job id of a poem model this browser trained; someone else's → 404.
Writing runs in numpy (app/ml/text_generate.py): no Keras in the web process.
"""

from __future__ import annotations

import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select

from app.db import session_scope
from app.deps import BrowserIdDep, ModelsDep, SettingsDep
from app.jobs import service
from app.jobs.tables import Job
from app.labs import Lab
from app.ml.manifest import Manifest, resolve_file
from app.ml.registry import ModelRegistry
from app.ml.text import CORPORA, POEMS_DIR, Vocabulary, check_limits, vocabulary
from app.ml.text_design import CODE_COMMENTS, TextDesign, describe, form_query, keras_code, layer_table
from app.ml.text_generate import TextGenerator, TextGenerators, read_keras_weights
from app.settings import Settings
from app.web import UserError, browser_id, is_htmx, render, translator

router = APIRouter()
LAB = Lab(slug="text", path="/text", title_key="text.title", summary_key="text.summary", steps=(4, 5, 6), icon="✒")

TASK = "text"
DEFAULT_MODEL = "poems-lstm"
MAX_LENGTH = 500
MAX_PROMPT = 200
PRESETS = {  # pills on the design page: the same numbers, another cell, or a model that trains in a minute
    "tiny": TextDesign(cell="gru", units=64, embedding=32, epochs=3),
    "simplernn": TextDesign(cell="simplernn", units=128, epochs=10),
    "lstm": TextDesign(cell="lstm", units=128, epochs=10),
}
TEMPERATURE_DEMO = (0.5, 1.0, 2.0)  # the first step's bars at other temperatures, next to the chosen one


class TextState(BaseModel):
    """What /text shows, as it appears in the URL; also the body of POST /api/text/generate."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"model": "default", "prompt": "床前明月", "length": 24,
                                                               "temperature": 0.8, "seed": 1}]})
    model: str = Field("default", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                       description='"default" or the job id of a poem model you trained')
    prompt: str = Field("床前明月", min_length=1, max_length=MAX_PROMPT, description="the first characters")
    length: int = Field(24, ge=1, le=MAX_LENGTH, description="how many characters to write")
    temperature: float = Field(0.8, ge=0, le=10, allow_inf_nan=False, description="0 = always the likeliest (greedy)")
    seed: int = Field(1, ge=0, le=2**31 - 1, description="the same seed writes the same poem")


class TextForm(TextDesign):
    """The design form as it sits in the URL (other query keys are ignored)."""

    model_config = ConfigDict(extra="ignore")


def query_string(state: TextState) -> str:
    return urlencode({"model": state.model, "prompt": state.prompt, "length": state.length,
                      "temperature": f"{state.temperature:g}", "seed": state.seed})


# --- models: the default and the learner's own -------------------------------------------------

def find_model(settings: Settings, models: ModelRegistry, name: str, browser: str) -> Manifest:
    """"default" (or a built-in id) or a job id → its manifest; another browser's model is 404."""
    not_found = UserError("text.unknown_model", 404, model=name[:40])
    if name == "default":
        name = DEFAULT_MODEL
    builtin = models.manifest(name)
    if builtin is not None and builtin.builtin:
        if builtin.task != TASK:
            raise not_found
        return builtin
    job_id = name.removeprefix("text-")
    job = service.get_job(settings, job_id)
    if job is None or job.kind != TASK or not browser or job.owner != browser:
        raise not_found
    if job.status != "succeeded":
        raise UserError("text.model_not_ready", 409)
    service.ensure_user_model(settings, job)  # this host's copy of the model, from the database
    manifest = models.manifest(f"text-{job_id}")
    if manifest is None:
        raise not_found
    return manifest


def generator_for(request: Request, settings: Settings, manifest: Manifest) -> TextGenerator:
    """The model's numpy writer, loaded once per web process while it is in use."""
    generators = getattr(request.app.state, "text_generators", None)
    if generators is None:
        generators = request.app.state.text_generators = TextGenerators()

    def load() -> TextGenerator:
        try:
            return TextGenerator(read_keras_weights(resolve_file(settings, manifest)), Vocabulary(manifest["vocabulary"]))
        except Exception as exc:  # a missing or broken file
            raise UserError("text.model_unavailable", 503, model=manifest.id) from exc

    return generators.get(manifest.id, load)


def model_choices(settings: Settings, models: ModelRegistry, browser: str, lang: str) -> list[dict]:
    """The switch: built-in poem models, then this browser's own (newest first)."""
    service.owner_models(settings, browser)
    out = []
    for m in models.manifests(task=TASK, browser_id=browser):
        value = "default" if m.id == DEFAULT_MODEL else (m.get("job") or m.id)
        out.append({"value": value, "title": m.title(lang), "builtin": m.builtin})
    return out


# --- writing ------------------------------------------------------------------------------------

def write(request: Request, settings: Settings, models: ModelRegistry, state: TextState) -> dict[str, Any]:
    """The generation and what the page shows around it. Raises UserError for unknown characters."""
    manifest = find_model(settings, models, state.model, browser_id(request))
    generator = generator_for(request, settings, manifest)
    unknown = generator.vocab.unknown(state.prompt)
    if unknown:
        raise UserError("text.unknown_chars", 422, chars="".join(unknown[:10]))
    started = time.perf_counter()
    out = generator.generate(state.prompt, state.length, state.temperature, state.seed)
    ms = (time.perf_counter() - started) * 1000
    demo = []
    if out["steps"]:  # the first step at other temperatures: temperature divides the logits
        for t in sorted(set(TEMPERATURE_DEMO + ((state.temperature,) if state.temperature > 0 else ()))):
            p = generator.probabilities(state.prompt, t)
            top = p.argsort()[::-1][:5]
            demo.append({"t": t, "chosen": t == state.temperature,
                         "top": [{"char": generator.vocab.chars[i], "p": float(p[i])} for i in top]})
    return {"manifest": manifest, "out": out, "ms": ms, "demo": demo}


def page_context(request: Request, settings: Settings, models: ModelRegistry, state: TextState) -> dict[str, Any]:
    _ = translator(request)
    ctx: dict[str, Any] = {"state": state, "query": query_string(state), "error": None, "result": None,
                           "choices": model_choices(settings, models, browser_id(request), _.lang)}
    try:
        ctx["result"] = write(request, settings, models, state)
    except UserError as exc:
        if exc.status_code >= 500:
            raise
        ctx["error"] = _(exc.key, **exc.params)
        ctx["error_status"] = exc.status_code
    if state.model not in [c["value"] for c in ctx["choices"]] and ctx["result"]:
        ctx["choices"].append({"value": state.model, "title": ctx["result"]["manifest"].title(_.lang), "builtin": False})
    ctx["jobs"] = my_text_jobs(settings, browser_id(request))
    return ctx


@router.get("/text", response_class=HTMLResponse, summary="AI writes Tang poems (page)")
def text_page(request: Request, settings: SettingsDep, models: ModelsDep, state: Annotated[TextState, Query()]):
    ctx = page_context(request, settings, models, state)
    return render(request, "text.html", ctx, status_code=ctx.get("error_status", 200))


@router.get("/text/generate", response_class=HTMLResponse, summary="Write with a poem model (htmx fragment)")
def text_fragment(request: Request, settings: SettingsDep, models: ModelsDep, state: Annotated[TextState, Query()]):
    ctx = write(request, settings, models, state)
    response = render(request, "partials/text_result.html", {"state": state, "result": ctx})
    response.headers["HX-Push-Url"] = f"/text?{query_string(state)}"
    return response


class Candidate(BaseModel):
    char: str
    p: float = Field(description="probability after dividing the logits by the temperature (T = 1 when T = 0)")


class Step(BaseModel):
    char: str = Field(description="the character written at this step")
    top: list[Candidate] = Field(description="the 5 likeliest next characters, before sampling")


class Written(BaseModel):
    model: str
    text: str = Field(description="the continuation only (the prompt is not repeated)")
    steps: list[Step]


@router.post("/api/text/generate", response_model=Written, summary="Write a poem, one character at a time",
             responses={404: {"description": "no such model, or another browser's"},
                        422: {"description": "a character the model never saw, length > 500, temperature < 0 or not a number"}})
def text_api(request: Request, body: TextState, settings: SettingsDep, models: ModelsDep):
    ctx = write(request, settings, models, body)
    payload = {"model": body.model, **ctx["out"]}
    return JSONResponse(payload, headers={"Server-Timing": f"generate;dur={ctx['ms']:.3f}"})


class TextModel(BaseModel):
    id: str = Field(description='what "model" takes: "default" or a job id')
    title: str
    builtin: bool


@router.get("/api/text/models", response_model=list[TextModel], summary="The poem models this browser can choose")
def text_models(request: Request, settings: SettingsDep, models: ModelsDep, browser: BrowserIdDep) -> list[TextModel]:
    lang = translator(request).lang
    return [TextModel(id=c["value"], title=c["title"], builtin=c["builtin"]) for c in model_choices(settings, models, browser, lang)]


@router.get("/text/corpus/{name}.jsonl", summary="The poems (one JSON object a line), for the Keras code")
def corpus_file(name: str):
    if name not in ("tang300", "song100"):
        raise UserError("text.unknown_corpus", 404)
    return FileResponse(POEMS_DIR / f"{name}.jsonl", media_type="application/jsonl; charset=utf-8",
                        filename=f"{name}.jsonl")


# --- designing and training ---------------------------------------------------------------------

def submit_design(settings: Settings, design: TextDesign, owner: str) -> tuple[str, int]:
    """Checks, records and enqueues a text job: (job id, parameter count)."""
    count = sum(r["params"] for r in check_limits(settings, design))
    return service.submit_job(settings, TASK, design.model_dump(), owner), count


def code_comments(request: Request) -> dict[str, str]:
    _ = translator(request)
    return {key: _(f"text.code_{key}") for key in CODE_COMMENTS}


def design_context(request: Request, settings: Settings, design: TextDesign) -> dict[str, Any]:
    vocab_size = len(vocabulary(design.corpus))
    table = layer_table(design, vocab_size)
    total = sum(r["params"] for r in table)
    return {"form": design, "table": table, "total_params": total, "vocab_size": vocab_size,
            "code": keras_code(design, code_comments(request)), "query": form_query(design),
            "too_big": total > settings.max_parameters, "max_parameters": settings.max_parameters,
            "cells": ("simplernn", "lstm", "gru"), "corpora": tuple(CORPORA),
            "presets": {name: form_query(d) for name, d in PRESETS.items()}}


@router.get("/text/train", response_class=HTMLResponse, summary="Design a poem model and train it (page)")
def train_page(request: Request, settings: SettingsDep, form: Annotated[TextForm, Query()]):
    ctx = design_context(request, settings, TextDesign.model_validate(form.model_dump()))
    return render(request, "text_train.html", {**ctx, "jobs": my_text_jobs(settings, browser_id(request))})


@router.get("/text/train/design", response_class=HTMLResponse, summary="The poem model's form and preview (htmx fragment)")
def design_fragment(request: Request, settings: SettingsDep, form: Annotated[TextForm, Query()]):
    ctx = design_context(request, settings, TextDesign.model_validate(form.model_dump()))
    response = render(request, "partials/text_design.html", ctx)
    response.headers["HX-Push-Url"] = f"/text/train?{ctx['query']}"
    return response


@router.post("/text/jobs", summary="Start training the poem model in the form", response_class=HTMLResponse,
             responses={303: {"description": "to the job page"}})
def train_submit(request: Request, settings: SettingsDep, form: Annotated[TextForm, Form()]):
    try:
        design = TextDesign.model_validate(form.model_dump())
    except ValidationError as exc:  # the learner's mistake, reported with its field: not a 500
        raise RequestValidationError([{**e, "loc": ("form", *e["loc"])} for e in exc.errors()]) from exc
    job_id, _count = submit_design(settings, design, browser_id(request))
    url = f"/train/jobs/{job_id}"
    if is_htmx(request):
        return Response("", headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


@router.post("/api/text/preview", summary="A poem model's layer table, parameter count and Keras code")
def preview(request: Request, design: TextDesign, settings: SettingsDep) -> dict[str, Any]:
    ctx = design_context(request, settings, design)
    return {"layers": [{**r, "shape": [None, *r["shape"]]} for r in ctx["table"]], "parameters": ctx["total_params"],
            "vocabulary": ctx["vocab_size"], "max_parameters": settings.max_parameters, "code": ctx["code"]}


def my_text_jobs(settings: Settings, owner: str) -> list[dict]:
    if not owner:
        return []
    with session_scope(settings.database_url_resolved) as s:
        jobs = s.scalars(select(Job).where(Job.owner == owner, Job.kind == TASK).order_by(Job.created.desc()).limit(8)).all()
    return [{"id": j.id, "status": j.status, "name": describe(TextDesign.model_validate(j.params)),
             "loss": (j.result or {}).get("loss")} for j in jobs]

