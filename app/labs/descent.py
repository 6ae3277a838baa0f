"""Lab: gradient descent (slides 132–158). w ← w − η·L′(w), one step or N at a time.

Routes:
  GET /descent           the one-parameter page;   GET /descent/lab  its htmx fragment
  GET /descent/three     L(w₁, w₂, b₁) = (b₁ + 2w₁ − w₂ − 3)², one partial derivative at a time,
                         then the gradient and one step;   GET /descent/three/lab  its fragment
  POST /api/descent      a run as JSON: the path (w, L, L′ per step) and the verdict

The state is in the query string: /descent?loss=lecture&w0=1&eta=0.3&steps=5&n=10 (steps taken
so far, and how many "run N steps" takes); /descent/three?w1=1&w2=-1&b1=2&eta=0.1&reveal=5.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from app.charts import Chart, padded_range
from app.events import publish_result
from app.labs import Lab
from app.labs.neuron import LabInputError, bounded_number, parse_query, plain_number, sub
from app.nn import losses
from app.nn.descent import VERDICTS, Run, run
from app.nn.losses import LOSSES, get_loss
from app.web import format_number, render, translator

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
        raise LabInputError("descent.eta_positive")
    if value > ETA_MAX:
        raise LabInputError("neuron.too_big", limit=plain_number(ETA_MAX))
    return value


Eta = Annotated[float, Field(allow_inf_nan=False, json_schema_extra={"exclusiveMinimum": 0, "maximum": ETA_MAX}),
                AfterValidator(_positive_eta)]


def _known_loss(value):
    """The loss's name, or a LabInputError listing the names we know."""
    if value not in LOSSES:
        raise LabInputError("descent.unknown_loss", choices=" / ".join(LOSSES))
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


def _publish(request: Request, state: DescentState, verdict: str) -> None:
    publish_result(request, "descent", {"eta": state.eta, "loss": state.loss, "verdict": verdict, "w0": state.w0})


@router.get("/descent", response_class=HTMLResponse, include_in_schema=False)
def descent_page(request: Request):
    action, error = parse_query(DescentAction, request)
    state = apply(action)
    if action.go is not None:  # a button pressed without JavaScript: show the canonical address
        return RedirectResponse(f"/descent?{state.query()}", status_code=303)
    return render(request, "descent.html", {"view": "one", **lab_context(request, state), "error": error}, 422 if error else 200)


@router.get("/descent/lab", response_class=HTMLResponse, include_in_schema=False)
def descent_fragment(request: Request, action: Annotated[DescentAction, Query()]):
    state = apply(action)
    context = lab_context(request, state)
    response = render(request, "partials/descent_lab.html", {**context, "fragment": True})
    response.headers["HX-Push-Url"] = f"/descent?{state.query()}"
    if state.steps:
        _publish(request, state, context["result"].verdict)
    return response


@router.post("/api/descent", response_model=DescentOut, summary="Gradient descent w ← w − η·L′(w): the path and the verdict")
def descent_api(request: Request, body: DescentInput) -> DescentOut:
    loss = get_loss(body.loss)
    result = run(loss, body.w0, body.eta, body.steps)
    _publish(request, DescentState(loss=body.loss, w0=body.w0, eta=body.eta), result.verdict)
    return DescentOut(loss=loss.name, formula=loss.formula, w0=result.w0, eta=result.eta, steps=result.steps,
                      path=[PathPoint(**p.as_dict()) for p in result.path], verdict=result.verdict,
                      overshot=result.overshot, stopped_early=result.stopped_early,
                      minima=list(loss.minima), global_minimum=loss.global_minimum)


# ---- the three-variable view ----

THREE_STAGES = 5  # ∂/∂w₁, ∂/∂w₂, ∂/∂b₁, the gradient vector, one step
NAMES = {"w1": "w₁", "w2": "w₂", "b1": "b₁"}


class ThreeState(BaseModel):
    """What /descent/three shows: the point (w₁, w₂, b₁), η, and how many stages are shown."""

    w1: W = losses.LECTURE_POINT["w1"]
    w2: W = losses.LECTURE_POINT["w2"]
    b1: W = losses.LECTURE_POINT["b1"]
    eta: Eta = 0.1
    reveal: int = Field(0, ge=0, le=THREE_STAGES)

    def point(self) -> dict[str, float]:
        return {"w1": self.w1, "w2": self.w2, "b1": self.b1}

    def query(self) -> str:
        return urlencode({**{k: plain_number(v) for k, v in self.point().items()}, "eta": plain_number(self.eta),
                          "reveal": self.reveal})


class ThreeAction(ThreeState):
    go: Literal["next", "back", "all", "reset", "continue"] | None = None


def apply_three(action: ThreeAction) -> ThreeState:
    state = ThreeState(**action.model_dump(exclude={"go"}))
    if action.go == "continue":  # start again from the point after the step
        g = losses.three_gradient(**state.point())
        # rounded to 12 digits so that 1 − 0.1·8 reads 0.2, not 0.19999999999999996
        moved = {v: float(f"{state.point()[v] - state.eta * g[v]:.12g}") for v in losses.THREE_VARIABLES}
        if all(abs(x) <= W_MAX for x in moved.values()):
            return state.model_copy(update={**moved, "reveal": 0})
        return state
    reveal = {"next": state.reveal + 1, "back": state.reveal - 1, "all": THREE_STAGES, "reset": 0}.get(action.go, state.reveal)
    return state.model_copy(update={"reveal": max(0, min(THREE_STAGES, reveal))})


def term(c: float, name: str) -> str:
    """2, w₁ → "2w₁"; −1, w₂ → "−w₂"."""
    if c == 1:
        return name
    if c == -1:
        return f"−{name}"
    return f"{format_number(c)}{name}"


def slice_view(state: ThreeState, variable: str, title: str) -> dict:
    """L along one variable, the others held fixed: its formula, its slope at the point, a small chart."""
    s = losses.three_slice(state.point(), variable)
    name = NAMES[variable]
    inside = term(s.coefficient, name)
    if s.offset:
        inside += f" {'−' if s.offset < 0 else '+'} {format_number(abs(s.offset))}"
    r = s.coefficient * s.at + s.offset
    x_lo, x_hi = padded_range([s.at - 2.5, s.at + 2.5, -s.offset / s.coefficient], pad=0.05)
    v = np.linspace(x_lo, x_hi, 161)
    curve = s.value(v)
    chart = Chart(x_range=(x_lo, x_hi), y_range=padded_range([*curve, 0.0], pad=0.06), x_label=name,
                  y_label=f"L({name})", title=title, id=f"slice-{variable}", width=420, height=300)
    chart.line(v, curve)
    chart.tangent(s.at, s.value(s.at), s.der(s.at), length_px=150)
    chart.marker(s.at, float(s.value(s.at)))
    held = [f"{NAMES[o]} = {format_number(state.point()[o])}" for o in losses.THREE_VARIABLES if o != variable]
    # expanded: (cv + k)² = c²v² + 2ck·v + k²; with k = 0 at the lecture's point, L(w₁) = 4w₁²
    expanded = term(s.coefficient**2, f"{name}²")
    for coef, text in ((2 * s.coefficient * s.offset, term(abs(2 * s.coefficient * s.offset), name)),
                       (s.offset**2, format_number(s.offset**2))):
        if coef:
            expanded += f" {'−' if coef < 0 else '+'} {text}"
    return {"variable": variable, "name": name, "formula": f"L({name}) = ({inside})² = {expanded}", "held": held,
            "coefficient": s.coefficient, "r": r, "der": float(s.der(s.at)),
            "chart": chart}


def three_context(request: Request, state: ThreeState) -> dict:
    _ = translator(request)
    point = state.point()
    g = losses.three_gradient(**point)
    after = {v: point[v] - state.eta * g[v] for v in losses.THREE_VARIABLES}
    return {
        "state": state, "point": point, "gradient": g, "after": after, "names": NAMES, "stages": THREE_STAGES,
        "inner": losses.three_inner(**point), "L": losses.three_loss(**point), "L_after": losses.three_loss(**after),
        "formula": losses.THREE_FORMULA, "plain": plain_number, "variables": losses.THREE_VARIABLES,
        "slices": [slice_view(state, v, _("descent.slice_title", name=NAMES[v])) for v in losses.THREE_VARIABLES],
        "can_continue": all(abs(x) <= W_MAX for x in after.values()),
    }


@router.get("/descent/three", response_class=HTMLResponse, include_in_schema=False)
def three_page(request: Request):
    action, error = parse_query(ThreeAction, request)
    state = apply_three(action)
    if action.go is not None:
        return RedirectResponse(f"/descent/three?{state.query()}", status_code=303)
    return render(request, "descent.html", {"view": "three", **three_context(request, state), "error": error}, 422 if error else 200)


@router.get("/descent/three/lab", response_class=HTMLResponse, include_in_schema=False)
def three_fragment(request: Request, action: Annotated[ThreeAction, Query()]):
    state = apply_three(action)
    response = render(request, "partials/descent_three_lab.html", {**three_context(request, state), "fragment": True})
    response.headers["HX-Push-Url"] = f"/descent/three?{state.query()}"
    return response
