"""Lab: gradient descent (slides 132–158). w ← w − η·L′(w), one step or N at a time.

Routes:
  GET /descent           the one-parameter page;   GET /descent/lab  its htmx fragment
  GET /descent/three     the three-variable view: app/labs/descent_three.py
  POST /api/descent      a run as JSON: the path (w, L, L′ per step) and the verdict

The state is in the query string: /descent?loss=lecture&w0=1&eta=0.3&steps=5&n=10 (steps taken
so far, and how many "run N steps" takes); /descent/three?w1=1&w2=-1&b1=2&eta=0.1&reveal=5.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from app.charts import Chart, padded_range
from app.errors import FieldError
from app.events import publish_result
from app.labs import Lab
from app.labs.forms import StatePages, bounded_number, plain_number, sub
from app.nn.descent import VERDICTS, Run, run
from app.nn.losses import LOSSES, get_loss
from app.web import format_number, translator

router = APIRouter()
LAB = Lab(slug="descent", path="/descent", title_key="descent.title", summary_key="descent.summary", steps=(5,), icon="⛰")

MAX_STEPS = 1000
ETA_MAX = 10.0
W_MAX = 100.0  # |w₀| ≤ 100: far beyond every curve's interesting part
LossName = Literal["quadratic", "two_minima", "lecture"]
W = bounded_number(W_MAX)
# "Try this" examples per loss: (w₀, η, steps, what it shows)
EXAMPLES: dict[str, list[tuple[float, float, int, str]]] = {
    "quadratic": [(-2, 0.1, 30, "converged"), (-2, 0.9, 10, "oscillating"), (-2, 1.1, 10, "diverged")],
    "two_minima": [(1.8, 0.1, 60, "stuck_in_local_minimum"), (-2.8, 0.05, 60, "converged"), (0.0, 0.1, 5, "stalled")],
    "lecture": [(1, 0.05, 30, "converged"), (1, 0.2, 10, "oscillating"), (1, 0.3, 6, "diverged")],
}
VERDICT_TONE = {"converged": "good", "diverged": "bad", "oscillating": "warn", "stuck_in_local_minimum": "warn",
                "stalled": "warn", "converging": "", "start": ""}


def _positive_eta(value: float) -> float:
    if value <= 0:
        raise FieldError("descent.eta_positive")
    if value > ETA_MAX:
        raise FieldError("neuron.too_big", limit=plain_number(ETA_MAX))
    return value


Eta = Annotated[float, Field(allow_inf_nan=False, json_schema_extra={"exclusiveMinimum": 0, "maximum": ETA_MAX}),
                AfterValidator(_positive_eta)]


def _known_loss(value):
    """The loss's name, or a FieldError listing the names we know."""
    if not isinstance(value, str) or value not in LOSSES:  # {} or [] is no name (and unhashable)
        raise FieldError("descent.unknown_loss", choices=" / ".join(LOSSES))
    return value


class DescentInput(BaseModel):
    """A gradient-descent run: which loss, where to start, the learning rate, how many steps."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"loss": "lecture", "w0": 1, "eta": 0.3, "steps": 10}]})

    loss: LossName = Field("lecture", description="quadratic: (w − 2)² + 1; two_minima: w⁴/4 + w³/3 − w² + 3; lecture: 4w²")
    w0: W = Field(1.0, description="starting w")
    eta: Eta = Field(0.05, description="learning rate η > 0")
    steps: int = Field(20, ge=0, le=MAX_STEPS, description="how many steps to take (at most 1000)")

    @field_validator("loss", mode="before")
    @classmethod
    def _loss_known(cls, value):
        return _known_loss(value)


class PathPoint(BaseModel):
    w: float
    L: float = Field(description="L(w)")
    dL: float = Field(description="L′(w), the slope")


class DescentOut(BaseModel):
    loss: str
    formula: str
    w0: float
    eta: float
    steps: int = Field(description="steps taken: fewer than asked when w ran off to infinity")
    path: list[PathPoint] = Field(description="path[0] is the start, path[k] the point after k steps")
    verdict: Literal[VERDICTS]  # type: ignore[valid-type]
    overshot: bool = Field(description="some step jumped over the bottom of the valley")
    stopped_early: bool
    minima: list[float]
    global_minimum: float


class DescentState(BaseModel):
    """What /descent shows, as it appears in the URL (w0 and eta default to the loss's own)."""

    loss: LossName = "quadratic"
    w0: W | None = None
    eta: Eta | None = None
    steps: int = Field(0, ge=0, le=MAX_STEPS, description="steps taken so far")
    n: int = Field(10, ge=1, le=MAX_STEPS, description="how many steps “run N steps” takes")

    @field_validator("loss", mode="before")
    @classmethod
    def _loss_known(cls, value):
        return _known_loss(value)

    def resolved(self) -> "DescentState":
        loss = get_loss(self.loss)
        return self.model_copy(update={"w0": loss.default_w0 if self.w0 is None else self.w0,
                                       "eta": loss.default_eta if self.eta is None else self.eta})

    def query(self, **changes) -> str:
        s = self.model_copy(update=changes)
        return urlencode({"loss": s.loss, "w0": plain_number(s.w0), "eta": plain_number(s.eta),
                          "steps": s.steps, "n": s.n})


class DescentAction(DescentState):
    go: Literal["step", "run", "back", "reset"] | None = None


def apply(action: DescentAction) -> DescentState:
    state = DescentState(**action.model_dump(exclude={"go"})).resolved()
    taken = run(get_loss(state.loss), state.w0, state.eta, state.steps).steps  # fewer when w ran off to ±∞
    steps = {"step": taken + 1, "run": taken + state.n, "back": taken - 1, "reset": 0}.get(action.go, taken)
    return state.model_copy(update={"steps": max(0, min(MAX_STEPS, steps))})


def loss_chart(result: Run, title: str) -> Chart:
    """The loss curve, the path so far, the current point and its tangent."""
    loss = get_loss(result.loss)
    lo, hi = loss.domain
    span = hi - lo
    ws = [p.w for p in result.path]
    # widen the view to follow the path, but not without bound: a diverging run leaves the chart
    x_lo, x_hi = max(min(lo, *ws), lo - 3 * span), min(max(hi, *ws), hi + 3 * span)
    if (x_lo, x_hi) != (lo, hi):
        x_lo, x_hi = padded_range([x_lo, x_hi], pad=0.04)
    w = np.linspace(x_lo, x_hi, 301)
    curve = loss.value(w)
    y_lo, y_hi = padded_range([*curve, 0.0], pad=0.06)
    chart = Chart(x_range=(x_lo, x_hi), y_range=(y_lo, y_hi), x_label="w", y_label="L(w)", title=title, id="loss-chart")
    chart.line(w, curve)
    shown = result.path[-200:]  # the last 200 points are plenty on a 640-px chart
    chart.line([p.w for p in shown], [p.L for p in shown], cls="path-line")
    for p in shown[:-1]:
        chart.marker(p.w, p.L, cls="path-dot", r=4)
    start, now = result.path[0], result.path[-1]
    chart.marker(start.w, start.L, cls="start-dot", r=6, label="w₀" if result.steps else "")
    chart.tangent(now.w, now.L, now.dL, length_px=220)
    chart.marker(now.w, now.L, label=f"w{sub(result.steps)}")
    return chart


def lab_context(request: Request, state: DescentState) -> dict:
    _ = translator(request)
    loss = get_loss(state.loss)
    result = run(loss, state.w0, state.eta, state.steps)
    now = result.path[-1]
    return {
        "state": state, "loss": loss, "result": result, "now": now, "k": result.steps, "sub": sub,
        "next_w": now.w - state.eta * now.dL, "losses": list(LOSSES), "examples": EXAMPLES[state.loss],
        "tone": VERDICT_TONE[result.verdict], "plain": plain_number, "max_steps": MAX_STEPS,
        "rows": list(enumerate(result.path))[-10:],
        "chart": loss_chart(result, _("descent.chart_title", formula=loss.formula)),
        "minimum": format_number(min(loss.minima, key=lambda m: abs(m - now.w))),
        "global_minimum": format_number(loss.global_minimum),
    }


def _event(state: DescentState, verdict: str) -> dict:
    return {"eta": state.eta, "loss": state.loss, "verdict": verdict, "w0": state.w0}


PAGES = StatePages("descent", DescentAction, apply, lambda state: state.query(), lab_context)


@router.get("/descent", response_class=HTMLResponse, include_in_schema=False)
def descent_page(request: Request):
    return PAGES.page(request, view="one")


@router.get("/descent/lab", response_class=HTMLResponse, include_in_schema=False)
def descent_fragment(request: Request, action: Annotated[DescentAction, Query()]):
    return PAGES.fragment(request, action, lambda state, ctx: (
        _event(state, ctx["result"].verdict) if state.steps else None))


@router.post("/api/descent", response_model=DescentOut, summary="Gradient descent w ← w − η·L′(w): the path and the verdict")
def descent_api(request: Request, body: DescentInput) -> DescentOut:
    loss = get_loss(body.loss)
    result = run(loss, body.w0, body.eta, body.steps)
    publish_result(request, "descent", _event(DescentState(loss=body.loss, w0=body.w0, eta=body.eta), result.verdict))
    return DescentOut(loss=loss.name, formula=loss.formula, w0=result.w0, eta=result.eta, steps=result.steps,
                      path=[PathPoint(**p.as_dict()) for p in result.path], verdict=result.verdict,
                      overshot=result.overshot, stopped_early=result.stopped_early,
                      minima=list(loss.minima), global_minimum=loss.global_minimum)
