"""Lab: gradient descent, the three-variable view of app/labs/descent.py (its second page).

  GET /descent/three      L(w₁, w₂, b₁) = (b₁ + 2w₁ − w₂ − 3)², one partial derivative at a time,
                          then the gradient and one step
  GET /descent/three/lab  its htmx fragment

The state is in the query string: /descent/three?w1=1&w2=-1&b1=2&eta=0.1&reveal=5.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from app.charts import Chart, padded_range
from app.labs.descent import W, W_MAX, Eta
from app.labs.forms import parse_query, plain_number
from app.nn import losses
from app.web import format_number, render, translator

router = APIRouter()


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
