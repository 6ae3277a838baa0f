"""Lab: step through a recurrent layer (slides 212–218, 227–228).

Slide 218's layer: two inputs, two neurons, and each neuron also reads both neurons' previous
outputs — hʲₜ = φ(w_x[j][1]·x¹ₜ + w_x[j][2]·x²ₜ + w_h[j][1]·h¹ₜ₋₁ + w_h[j][2]·h²ₜ₋₁ + bʲ).

Routes: GET /rnn (the page), GET /rnn/lab (the htmx fragment), POST /api/rnn/step (JSON).
The state is an RnnState in the query string, the sequence as two lists (x1: the first input
at t = 1…T, x2: the second), weights row by row (wx = w_x[1][1], w_x[1][2], w_x[2][1], w_x[2][2]):

    /rnn?x1=1&x1=0&x1=1&x2=0&x2=1&x2=1&wx=1&wx=0.5&wx=-1&wx=1&wh=0.5&wh=-1&wh=1&wh=0.5&b=0&b=0&h0=0&h0=0&activation=tanh&reveal=4

Each time step has four stages (STAGES): the input terms, the memory terms, the sum + b, and φ.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.errors import FieldError
from app.labs.forms import StatePages, bounded_number, plain_number, sub
from app.nn.rnn import LayerStep, layer_steps

router = APIRouter()

LIMIT = 100  # |x|, |w|, |b|, |h₀| ≤ 100 on the page and in the API
MIN_STEPS, PAGE_STEPS = 2, 8  # the page walks 2–8 time steps
API_STEPS, API_SIZE = 200, 16  # the API takes up to 200 steps, 16 inputs and 16 neurons
STAGES = 4  # per time step: w_x·x, w_h·h, + b, φ
ACTIVATIONS = ("tanh", "sigmoid", "relu")
ActivationName = Literal["tanh", "sigmoid", "relu"]
Num = bounded_number(LIMIT)
PRESET = {"x1": [1.0, 0.0, 1.0], "x2": [0.0, 1.0, 1.0], "wx": [1.0, 0.5, -1.0, 1.0], "wh": [0.5, -1.0, 1.0, 0.5],
          "b": [0.0, 0.0], "h0": [0.0, 0.0], "activation": "tanh"}


def _known_activation(value):
    if value not in ACTIVATIONS:
        raise FieldError("neuron.unknown_activation", choices=" / ".join(ACTIVATIONS))
    return value


class RnnState(BaseModel):
    """What /rnn shows, as it appears in the URL."""

    x1: list[Num] = Field(default_factory=lambda: list(PRESET["x1"]), min_length=MIN_STEPS, max_length=PAGE_STEPS)
    x2: list[Num] = Field(default_factory=lambda: list(PRESET["x2"]), min_length=MIN_STEPS, max_length=PAGE_STEPS)
    wx: list[Num] = Field(default_factory=lambda: list(PRESET["wx"]), min_length=4, max_length=4)
    wh: list[Num] = Field(default_factory=lambda: list(PRESET["wh"]), min_length=4, max_length=4)
    b: list[Num] = Field(default_factory=lambda: list(PRESET["b"]), min_length=2, max_length=2)
    h0: list[Num] = Field(default_factory=lambda: list(PRESET["h0"]), min_length=2, max_length=2)
    activation: ActivationName = "tanh"
    reveal: int = Field(0, ge=0, le=STAGES * PAGE_STEPS)

    @field_validator("activation", mode="before")
    @classmethod
    def _activation(cls, value):
        return _known_activation(value)

    @field_validator("x2")
    @classmethod
    def _same_length(cls, x2, info):
        x1 = info.data.get("x1")
        if x1 is not None and len(x1) != len(x2):
            raise FieldError("rnn.length_mismatch", n1=len(x1), n2=len(x2))
        return x2

    @property
    def steps(self) -> int:
        return len(self.x1)

    @property
    def inputs(self) -> list[list[float]]:
        return [[a, b] for a, b in zip(self.x1, self.x2)]

    def matrix(self, flat: list[float]) -> list[list[float]]:
        return [flat[:2], flat[2:]]


class RnnAction(RnnState):
    """A button press on the page."""

    go: Literal["next", "back", "all", "reset", "add", "remove", "reverse", "preset"] | None = None


def last_stage(state: RnnState) -> int:
    return STAGES * state.steps


def apply(action: RnnAction) -> RnnState:
    """The state after a button press: walk the stages, add/remove a time step, reverse the order."""
    state = RnnState(**action.model_dump(exclude={"go"}))
    go, last = action.go, last_stage(state)
    changes: dict = {}
    if go == "next":
        changes["reveal"] = min(state.reveal + 1, last)
    elif go == "back":
        changes["reveal"] = max(state.reveal - 1, 0)
    elif go == "all":
        changes["reveal"] = last
    elif go == "reset":
        changes["reveal"] = 0
    elif go == "add" and state.steps < PAGE_STEPS:
        changes.update(x1=[*state.x1, 0.0], x2=[*state.x2, 0.0], reveal=0)
    elif go == "remove" and state.steps > MIN_STEPS:
        changes.update(x1=state.x1[:-1], x2=state.x2[:-1], reveal=0)
    elif go == "reverse":  # slides 212–213: the same inputs in the other order
        changes.update(x1=state.x1[::-1], x2=state.x2[::-1])
    elif go == "preset":
        return RnnState()
    state = state.model_copy(update=changes)
    return state.model_copy(update={"reveal": min(state.reveal, last_stage(state))})


def query_string(state: RnnState) -> str:
    fields = {k: [plain_number(v) for v in getattr(state, k)] for k in ("x1", "x2", "wx", "wh", "b", "h0")}
    return urlencode({**fields, "activation": state.activation, "reveal": state.reveal}, doseq=True)


def run(state: RnnState) -> list[LayerStep]:
    return layer_steps(state.inputs, state.matrix(state.wx), state.matrix(state.wh), state.b, state.h0, state.activation)


def position(state: RnnState) -> tuple[int, int]:
    """(time step t, stage 1–4 within it) that `reveal` points at; (0, 0) before the first."""
    if state.reveal == 0:
        return 0, 0
    return (state.reveal - 1) // STAGES + 1, (state.reveal - 1) % STAGES + 1


def lab_context(request: Request, state: RnnState) -> dict:
    steps = run(state)
    reversed_state = state.model_copy(update={"x1": state.x1[::-1], "x2": state.x2[::-1]})
    t, stage = position(state)
    return {
        "state": state, "steps": steps, "t": t, "stage": stage, "last_stage": last_stage(state),
        "stages": STAGES, "sub": sub, "plain": plain_number, "activations": ACTIVATIONS,
        "query": query_string(state), "reversed_final": run(reversed_state)[-1].h,
        "reversed_query": query_string(reversed_state.model_copy(update={"reveal": last_stage(state)})),
        "max_steps": PAGE_STEPS, "min_steps": MIN_STEPS,
    }


PAGES = StatePages("rnn", RnnAction, apply, query_string, lab_context)


@router.get("/rnn", response_class=HTMLResponse, include_in_schema=False)
def rnn_page(request: Request):
    return PAGES.page(request)


@router.get("/rnn/lab", response_class=HTMLResponse, include_in_schema=False)
def rnn_fragment(request: Request, action: Annotated[RnnAction, Query()]):
    return PAGES.fragment(request, action, lambda state, ctx: {
        "inputs": state.inputs, "activation": state.activation, "final": list(ctx["steps"][-1].h),
        "reveal": state.reveal})


# --- POST /api/rnn/step --------------------------------------------------------------------------

class RnnStepInput(BaseModel):
    """A SimpleRNN layer over a sequence: T steps of n inputs, m neurons."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "inputs": [[1, 0], [0, 1], [1, 1]], "w_x": [[1, 0.5], [-1, 1]], "w_h": [[0.5, -1], [1, 0.5]],
        "b": [0, 0], "h0": [0, 0], "activation": "tanh"}]})

    inputs: list[Annotated[list[Num], Field(min_length=1, max_length=API_SIZE)]] = Field(
        min_length=1, max_length=API_STEPS, description="xₜ for t = 1…T, each n numbers")
    w_x: list[Annotated[list[Num], Field(min_length=1, max_length=API_SIZE)]] = Field(
        min_length=1, max_length=API_SIZE, description="w_x[j][i]: from input i to neuron j (m rows of n)")
    w_h: list[list[Num]] = Field(min_length=1, max_length=API_SIZE,
                                 description="w_h[j][k]: from the previous state of neuron k to neuron j (m×m)")
    b: list[Num] = Field(min_length=1, max_length=API_SIZE, description="bʲ, one per neuron")
    h0: list[Num] | None = Field(None, description="h₀, one per neuron; zeros when omitted")
    activation: ActivationName = Field("tanh", description="φ: tanh, sigmoid or relu")

    @field_validator("activation", mode="before")
    @classmethod
    def _activation(cls, value):
        return _known_activation(value)

    @model_validator(mode="after")
    def _shapes_fit(self):
        n, m = len(self.inputs[0]), len(self.w_x)
        if any(len(x) != n for x in self.inputs):
            raise FieldError("rnn.ragged_inputs", n=n)
        if any(len(row) != n for row in self.w_x):
            raise FieldError("rnn.wx_shape", m=m, n=n)
        if len(self.w_h) != m or any(len(row) != m for row in self.w_h):
            raise FieldError("rnn.wh_shape", m=m)
        if len(self.b) != m or (self.h0 is not None and len(self.h0) != m):
            raise FieldError("rnn.b_shape", m=m)
        return self


class RnnStepOut(BaseModel):
    hidden: list[list[float]] = Field(description="hₜ for t = 1…T: one row per time step, one number per neuron")
    pre_activation: list[list[float]] = Field(description="zₜ = w_x·xₜ + w_h·hₜ₋₁ + b, before φ")


@router.post("/api/rnn/step", response_model=RnnStepOut,
             summary="A recurrent layer over a sequence: hₜ = φ(w_x·xₜ + w_h·hₜ₋₁ + b) for every t")
def rnn_step_api(body: RnnStepInput) -> RnnStepOut:
    steps = layer_steps(body.inputs, body.w_x, body.w_h, body.b, body.h0, body.activation)
    return RnnStepOut(hidden=[list(s.h) for s in steps], pre_activation=[list(s.z) for s in steps])
