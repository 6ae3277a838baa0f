"""Lab: softmax by hand (slides 46–48, 163–166). Scores → e^(s/T) → ÷ the sum → probabilities,
then the cross-entropy of that prediction against a one-hot target.

Routes: GET /softmax (the page), GET /softmax/lab (the htmx fragment: the walk-through),
POST /api/softmax (the same math as JSON). The state is a SoftmaxState in the query string:

    /softmax?s=1.9&s=1.1&s=0.2&t=1&target=0&reveal=4

`reveal` is how many of the four steps are shown: e^(s/T), the sum, the division, the cross-entropy.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.errors import FieldError
from app.labs import Lab
from app.labs.forms import StatePages, bounded_number, plain_number, sub
from app.nn.softmax import cross_entropy, one_hot, softmax_steps

router = APIRouter()
LAB = Lab(slug="softmax", path="/softmax", title_key="softmax.title", summary_key="softmax.summary", steps=(4, 6), icon="％")

LECTURE_LOGITS = [1.9, 1.1, 0.2]  # → 0.61, 0.28, 0.11
SCORE_LIMIT = 50.0  # |s| ≤ 50 and T ≥ 0.1 keep e^(s/T) ≤ e⁵⁰⁰: finite, so the slide's e^s can be shown
T_MIN, T_MAX = 0.1, 10.0
MAX_CLASSES = 6
STAGES = 4  # e^(s/T), Σ, ÷, cross-entropy


def _temperature(value: float) -> float:
    if not T_MIN <= value <= T_MAX:
        raise FieldError("softmax.temperature_range", lo=plain_number(T_MIN), hi=plain_number(T_MAX))
    return value


Score = bounded_number(SCORE_LIMIT)
Temperature = Annotated[float, Field(allow_inf_nan=False, json_schema_extra={"minimum": T_MIN, "maximum": T_MAX}),
                        AfterValidator(_temperature)]


class SoftmaxInput(BaseModel):
    """Scores (logits) and a temperature T."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"logits": LECTURE_LOGITS, "temperature": 1.0}]})

    logits: list[Score] = Field(min_length=2, max_length=MAX_CLASSES, description="the scores s, one per class")
    temperature: Temperature = Field(1.0, description="T: softmax(s / T); 1 is the plain softmax")
    target: int | None = Field(None, ge=0, description="the right class (index), for the cross-entropy; optional")

    @model_validator(mode="after")
    def _target_is_a_class(self):
        if self.target is not None and self.target >= len(self.logits):
            raise FieldError("softmax.no_such_class", n=len(self.logits))
        return self


class SoftmaxOut(BaseModel):
    logits: list[float]
    temperature: float
    scaled: list[float] = Field(description="s / T")
    exp: list[float] = Field(description="e^(s/T)")
    sum: float = Field(description="Σ e^(s/T)")
    probabilities: list[float] = Field(description="e^(s/T) / Σ")
    one_hot: list[float] | None = Field(None, description="the target as a one-hot vector")
    cross_entropy: float | None = Field(None, description="−log p_target")


class SoftmaxState(BaseModel):
    """What /softmax shows, as it appears in the URL."""

    s: list[Score] = Field(default_factory=lambda: list(LECTURE_LOGITS), min_length=2, max_length=MAX_CLASSES)
    t: Temperature = 1.0
    target: int = Field(0, ge=0, le=MAX_CLASSES - 1)
    reveal: int = Field(0, ge=0, le=STAGES)
    go: Literal["next", "back", "all", "reset", "add", "remove"] | None = None


def apply(state: SoftmaxState) -> SoftmaxState:
    """The state after a button press (next/back/all/reset walk the steps; add/remove a class)."""
    changes: dict = {"go": None}
    if state.go == "next":
        changes["reveal"] = min(state.reveal + 1, STAGES)
    elif state.go == "back":
        changes["reveal"] = max(state.reveal - 1, 0)
    elif state.go == "all":
        changes["reveal"] = STAGES
    elif state.go == "reset":
        changes["reveal"] = 0
    elif state.go == "add" and len(state.s) < MAX_CLASSES:
        changes["s"] = [*state.s, 0.0]
    elif state.go == "remove" and len(state.s) > 2:
        changes["s"] = state.s[:-1]
    new = state.model_copy(update=changes)
    return new.model_copy(update={"target": min(new.target, len(new.s) - 1)})


def query_string(state: SoftmaxState) -> str:
    return urlencode({"s": [plain_number(v) for v in state.s], "t": plain_number(state.t),
                      "target": state.target, "reveal": state.reveal}, doseq=True)


def lab_context(request: Request, state: SoftmaxState) -> dict:
    result = softmax_steps(state.s, state.t)
    return {"state": state, "result": result, "n": len(state.s), "stages": STAGES, "sub": sub, "plain": plain_number,
            "one_hot": one_hot(state.target, len(state.s)), "loss": cross_entropy(result.probabilities, state.target),
            "query": query_string(state), "t_min": T_MIN, "t_max": T_MAX, "max_classes": MAX_CLASSES}


PAGES = StatePages("softmax", SoftmaxState, apply, query_string, lab_context)


@router.get("/softmax", response_class=HTMLResponse, include_in_schema=False)
def softmax_page(request: Request):
    return PAGES.page(request)


@router.get("/softmax/lab", response_class=HTMLResponse, include_in_schema=False)
def softmax_fragment(request: Request, state: Annotated[SoftmaxState, Query()]):
    return PAGES.fragment(request, state, lambda new, ctx: {
        "logits": new.s, "temperature": new.t, "probabilities": list(ctx["result"].probabilities)})


@router.post("/api/softmax", response_model=SoftmaxOut, summary="Softmax with temperature, step by step; cross-entropy against a target")
def softmax_api(body: SoftmaxInput) -> SoftmaxOut:
    r = softmax_steps(body.logits, body.temperature)
    out = SoftmaxOut(logits=list(r.logits), temperature=r.temperature, scaled=list(r.scaled), exp=list(r.exp),
                     sum=r.total, probabilities=list(r.probabilities))
    if body.target is not None:
        out.one_hot = one_hot(body.target, len(r.logits))
        out.cross_entropy = cross_entropy(r.probabilities, body.target)
    return out
