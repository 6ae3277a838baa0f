"""Lab: fit any curve with one hidden layer (slides 92–94). The learner picks a target (sin, a step,
|x|, a bump) or draws one, the number of hidden neurons, the activation and the learning rate;
the page trains ŷ(x) = Σⱼ vⱼ·φ(wⱼx + bⱼ) + c live in the browser (static/js/fit.js on nn.js) and
draws each neuron's piece under the sum.

Routes: GET /fit (the page), GET /fit/lab (the htmx fragment: settings and the data to fit),
POST /api/fit (the same training on the server, with app/nn/mlp.py). The state is in the URL:

    /fit?target=sin&hidden=8&activation=relu&lr=0.05&seed=0
    /fit?target=drawn&draw=0,0.1,0.3,…   (the drawing: y at DRAW_POINTS evenly spaced x on [−π, π])
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.errors import FieldError
from app.events import publish_result
from app.labs import Lab
from app.labs.forms import parse_query, plain_number
from app.nn import fit as fitmath
from app.web import render, run_limited, translator

router = APIRouter()
LAB = Lab(slug="fit", path="/fit", title_key="fit.title", summary_key="fit.summary", steps=(4, 5), icon="∿")

MAX_HIDDEN = 50
MAX_STEPS = 10_000
MAX_POINTS = 1000
COORD_LIMIT = 10.0  # |x|, |y| ≤ 10 for a drawn target
DRAW_POINTS = 41
TargetName = Literal["sin", "step", "abs", "bump"]
FitActivation = Literal["relu", "tanh", "sigmoid"]


def _check_points(value: Any) -> list[list[float]]:
    """A drawn target: at least 2 finite [x, y] pairs within ±COORD_LIMIT, two distinct x."""
    if not isinstance(value, list) or len(value) < 2:
        raise FieldError("fit.empty_drawing")
    if len(value) > MAX_POINTS:
        raise FieldError("fit.too_many_points", limit=MAX_POINTS)
    points = []
    for p in value:
        if not (isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p)):
            raise FieldError("fit.bad_point")
        x, y = float(p[0]), float(p[1])
        if not (math.isfinite(x) and math.isfinite(y)):
            raise FieldError("errors.not_finite")
        if abs(x) > COORD_LIMIT or abs(y) > COORD_LIMIT:
            raise FieldError("neuron.too_big", limit=plain_number(COORD_LIMIT))
        points.append([x, y])
    if len({x for x, _ in points}) < 2:
        raise FieldError("fit.empty_drawing")
    return sorted(points)


class FitInput(BaseModel):
    """What to fit and how: a named target or drawn points; hidden neurons, φ, η, steps, seed."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"target": "sin", "hidden": 16, "activation": "relu", "learning_rate": 0.05, "steps": 2000, "seed": 0}]})

    target: TargetName | list[list[float]] = Field("sin", description="sin | step | abs | bump (on [−π, π]), or [[x, y], …]")
    hidden: int = Field(16, ge=1, le=MAX_HIDDEN, description="hidden neurons (1–50)")
    activation: FitActivation = "relu"
    learning_rate: float = Field(0.05, gt=0, le=1, allow_inf_nan=False, description="η")
    steps: int = Field(2000, ge=1, le=MAX_STEPS, description="full-batch SGD steps")
    seed: int = Field(0, ge=0, le=2**32 - 1)

    @field_validator("target", mode="before")
    @classmethod
    def _target(cls, value):
        if isinstance(value, str):
            if value not in fitmath.TARGETS:
                raise FieldError("fit.unknown_target", choices=" / ".join(fitmath.TARGETS))
            return value
        return _check_points(value)

    def points(self) -> np.ndarray:
        return fitmath.target_points(self.target) if isinstance(self.target, str) else np.asarray(self.target, float)


Value = float | None  # null once the training has diverged (η too large: the numbers overflow)


class FitOut(BaseModel):
    mse: Value = Field(description="final mean squared error on the target's points (null: diverged)")
    curve: list[list[Value]] = Field(description="[x, ŷ(x)] over the target's x range")
    pieces: list[list[list[Value]]] = Field(description="per hidden neuron: [x, vⱼ·φ(wⱼx + bⱼ)]")
    losses: list[Value] = Field(description="the MSE during training, about 50 values")
    bias: Value = Field(description="c, the output neuron's bias: ŷ = Σ pieces + c")


class FitState(BaseModel):
    """What /fit shows, as it appears in the URL."""

    target: TargetName | Literal["drawn"] = "sin"
    draw: str = Field("", max_length=DRAW_POINTS * 8, description="the drawing: y values, comma-separated")
    hidden: int = Field(8, ge=1, le=MAX_HIDDEN)
    activation: FitActivation = "relu"
    lr: float = Field(0.05, gt=0, le=1, allow_inf_nan=False)
    seed: int = Field(0, ge=0, le=2**32 - 1)

    def drawn_points(self) -> list[list[float]]:
        try:
            ys = [float(v) for v in self.draw.split(",") if v.strip()]
        except ValueError:
            raise FieldError("fit.bad_drawing") from None
        if len(ys) != DRAW_POINTS:
            raise FieldError("fit.empty_drawing")
        xs = np.linspace(*fitmath.X_RANGE, DRAW_POINTS)
        return _check_points([[float(x), y] for x, y in zip(xs, ys)])

    def points(self) -> list[list[float]]:
        return self.drawn_points() if self.target == "drawn" else fitmath.target_points(self.target).tolist()


def query_string(state: FitState) -> str:
    q = {"target": state.target, "hidden": state.hidden, "activation": state.activation, "lr": plain_number(state.lr),
         "seed": state.seed}
    if state.target == "drawn":
        q["draw"] = state.draw
    return urlencode(q)


def lab_context(request: Request, state: FitState) -> dict:
    _ = translator(request)
    return {"state": state, "points": state.points(), "plain": plain_number, "targets": list(fitmath.TARGETS),
            "activations": ["relu", "tanh", "sigmoid"], "max_hidden": MAX_HIDDEN, "draw_points": DRAW_POINTS,
            "bias_scale": fitmath.BIAS_SCALE, "query": query_string(state),
            "strings": _.many("fit.step_count", "fit.drawing_hint", "fit.play", "fit.pause")}


@router.get("/fit", response_class=HTMLResponse, include_in_schema=False)
def fit_page(request: Request):
    state, error = parse_query(FitState, request)
    try:
        context = lab_context(request, state)
    except FieldError as exc:
        error = translator(request)(exc.key, **exc.params)
        state = FitState()
        context = lab_context(request, state)
    return render(request, "fit.html", {**context, "error": error}, 422 if error else 200)


@router.get("/fit/lab", response_class=HTMLResponse, include_in_schema=False)
def fit_fragment(request: Request, state: Annotated[FitState, Query()]):
    response = render(request, "partials/fit_lab.html", {**lab_context(request, state), "fragment": True})
    response.headers["HX-Push-Url"] = f"/fit?{query_string(state)}"
    return response


@router.post("/api/fit", response_model=FitOut, summary="Fit a curve with one hidden layer (trained here with app/nn/mlp.py)")
async def fit_api(request: Request, body: FitInput) -> FitOut:
    result = await run_limited(request, "fit", fitmath.fit, body.points(), body.hidden, body.activation,
                               body.learning_rate, body.steps, body.seed)
    publish_result(request, "fit", {"hidden": body.hidden, "activation": body.activation, "mse": result.mse})
    return FitOut(mse=result.mse, curve=result.curve, pieces=result.pieces, losses=result.losses, bias=result.bias)
