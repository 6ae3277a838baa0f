"""Lab: one neuron (slides 108–121). h = φ(w₁x₁ + … + wₙxₙ + b), one step at a time.

Routes: GET /neuron (the page), GET /neuron/lab (the htmx fragment: form, steps and plot),
POST /api/neuron (the same math as JSON). The state is a NeuronState in the query string:

    /neuron?x=1&x=3&w=1&w=2&b=1&activation=relu&reveal=5

`reveal` is how many of the steps are shown: each wᵢxᵢ, the sum, + b, φ(·) → h.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.charts import Chart, padded_range
from app.errors import FieldError
from app.events import publish_result
from app.labs import Lab
from app.labs.forms import StatePages, bounded_number, plain_number, sub
from app.nn.activations import ACTIVATIONS, get_activation
from app.nn.neuron import NeuronResult, neuron
from app.web import format_number, translator

router = APIRouter()
LAB = Lab(slug="neuron", path="/neuron", title_key="neuron.title", summary_key="neuron.summary", steps=(2, 4), icon="◉")

LIMIT = 1000  # |x|, |w|, |b| ≤ 1000: plenty for teaching, and φ never overflows
ActivationName = Literal["relu", "sigmoid", "tanh", "gaussian", "linear"]
PRESET = {"x": [1.0, 3.0], "w": [1.0, 2.0], "b": 1.0, "activation": "relu"}  # the lecture's: h = 8


Num = bounded_number(LIMIT)


class NeuronInput(BaseModel):
    """One neuron's numbers: inputs x, weights w (as many as x), bias b, activation φ."""

    model_config = ConfigDict(json_schema_extra={"examples": [PRESET]})

    x: list[Num] = Field(default_factory=lambda: list(PRESET["x"]), min_length=2, max_length=3, description="inputs x₁…xₙ")
    w: list[Num] = Field(default_factory=lambda: list(PRESET["w"]), min_length=2, max_length=3, description="weights w₁…wₙ, one per input")
    b: Num = Field(PRESET["b"], description="bias b")
    activation: ActivationName = Field("relu", description="φ: relu, sigmoid, tanh, gaussian or linear")

    @field_validator("activation", mode="before")
    @classmethod
    def _known_activation(cls, value):
        if not isinstance(value, str) or value not in ACTIVATIONS:  # {} or [] is no name (and unhashable)
            raise FieldError("neuron.unknown_activation", choices=" / ".join(ACTIVATIONS))
        return value

    @field_validator("w")
    @classmethod
    def _as_many_weights_as_inputs(cls, w, info):
        x = info.data.get("x")
        if x is not None and len(x) != len(w):
            raise FieldError("neuron.mismatch", nx=len(x), nw=len(w))
        return w


class NeuronState(NeuronInput):
    """What /neuron shows, as it appears in the URL."""

    reveal: int = Field(0, ge=0, le=6, description="how many steps are shown (n products, sum, + b, φ)")


class NeuronAction(NeuronState):
    """A button press on the page: what to do with the state."""

    go: Literal["next", "back", "all", "reset", "add", "remove"] | None = None


class NeuronOut(BaseModel):
    x: list[float]
    w: list[float]
    b: float
    activation: str
    products: list[float] = Field(description="wᵢxᵢ, one per input")
    sum: float = Field(description="Σ wᵢxᵢ")
    pre_activation: float = Field(description="z = Σ wᵢxᵢ + b")
    output: float = Field(description="h = φ(z)")
    slope: float = Field(description="φ′(z)")


def stage_count(n: int) -> int:
    return n + 3  # n products, the sum, + b, φ


def apply(action: NeuronAction) -> NeuronState:
    """The state after a button press: next/back/all/reset move through the steps; add/remove an input."""
    state = NeuronState(**action.model_dump(exclude={"go"}))
    n, last = len(state.x), stage_count(len(state.x))
    changes: dict = {}
    if action.go == "next":
        changes["reveal"] = min(state.reveal + 1, last)
    elif action.go == "back":
        changes["reveal"] = max(state.reveal - 1, 0)
    elif action.go == "all":
        changes["reveal"] = last
    elif action.go == "reset":
        changes["reveal"] = 0
    elif action.go == "add" and n < 3:
        changes.update(x=[*state.x, 1.0], w=[*state.w, 1.0], reveal=0)
    elif action.go == "remove" and n > 2:
        changes.update(x=state.x[:-1], w=state.w[:-1], reveal=0)
    state = state.model_copy(update=changes)
    return state.model_copy(update={"reveal": min(state.reveal, stage_count(len(state.x)))})


def query_string(state: NeuronState) -> str:
    return urlencode({"x": [plain_number(v) for v in state.x], "w": [plain_number(v) for v in state.w],
                      "b": plain_number(state.b), "activation": state.activation, "reveal": state.reveal}, doseq=True)


def phi_chart(result: NeuronResult, title: str, show_point: bool) -> Chart:
    """φ(z) around the neuron's z, with the point (z, h) and the tangent of slope φ′(z)."""
    phi = get_activation(result.activation)
    lo, hi = padded_range([-4.0, 4.0, result.z], pad=0.08)
    z = np.linspace(lo, hi, 241)
    h = phi.output(z)
    y_lo, y_hi = padded_range([*h, 0.0, 1.0], pad=0.1)
    chart = Chart(x_range=(lo, hi), y_range=(y_lo, y_hi), x_label="z", y_label="h = φ(z)", title=title,
                  id="phi-chart", height=360)
    chart.line(z, h)
    if show_point:
        chart.tangent(result.z, result.h, result.slope, length_px=140)
        chart.marker(result.z, result.h, label=f"({_short(result.z)}, {_short(result.h)})")
    return chart


def _short(v: float) -> str:
    return format_number(v)


def lab_context(request: Request, state: NeuronState) -> dict:
    _ = translator(request)
    result = neuron(state.x, state.w, state.b, state.activation)
    n = len(state.x)
    last = stage_count(n)
    return {
        "state": state, "result": result, "n": n, "last_stage": last, "sub": sub, "plain": plain_number,
        "activations": list(ACTIVATIONS), "query": query_string(state),
        "chart": phi_chart(result, _("neuron.chart_title", phi=_(f"neuron.act.{state.activation}")), state.reveal >= last),
    }


PAGES = StatePages("neuron", NeuronAction, apply, query_string, lab_context)


@router.get("/neuron", response_class=HTMLResponse, include_in_schema=False)
def neuron_page(request: Request):
    return PAGES.page(request)


@router.get("/neuron/lab", response_class=HTMLResponse, include_in_schema=False)
def neuron_fragment(request: Request, action: Annotated[NeuronAction, Query()]):
    return PAGES.fragment(request, action, lambda state, ctx: {
        "x": state.x, "w": state.w, "b": state.b, "activation": state.activation,
        "output": ctx["result"].h, "reveal": state.reveal})


@router.post("/api/neuron", response_model=NeuronOut, summary="One neuron: h = φ(Σ wᵢxᵢ + b) with every intermediate number")
def neuron_api(request: Request, body: NeuronInput) -> NeuronOut:
    result = neuron(body.x, body.w, body.b, body.activation).as_dict()
    publish_result(request, "neuron", {"x": body.x, "w": body.w, "b": body.b, "activation": body.activation,
                                       "output": result["output"]})
    return NeuronOut(**result)
