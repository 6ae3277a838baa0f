"""The losses of the gradient-descent lab, each next to its derivative.

One parameter (slides 132–158): L(w) and L′(w) = dL/dw, with where the minima are, so the lab
can tell "converged" from "stuck in a local minimum".

Three variables (the lecture's example): L(w₁, w₂, b₁) = (b₁ + 2w₁ − w₂ − 3)². Holding two of
them fixed leaves a one-variable function, and its derivative is the partial derivative:
at (1, −1, 2), holding w₂ = −1 and b₁ = 2 leaves L(w₁) = (2w₁)² = 4w₁², the lecture's
"pretend there is only one parameter" loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Number = float | np.ndarray


@dataclass(frozen=True)
class Loss1D:
    name: str
    value: Callable[[Number], Number]  # L(w)
    der: Callable[[Number], Number]  # L′(w) = dL/dw
    formula: str  # L(w) as the page writes it
    der_formula: str  # L′(w)
    minima: tuple[float, ...]  # every w with L′(w) = 0 and L″(w) > 0
    global_minimum: float  # the lowest of them
    domain: tuple[float, float]  # where the curve is worth plotting
    default_w0: float
    default_eta: float


# A convex quadratic: one minimum, at w = 2.
QUADRATIC = Loss1D(
    name="quadratic",
    value=lambda w: (w - 2.0) ** 2 + 1.0,
    der=lambda w: 2.0 * (w - 2.0),
    formula="L(w) = (w − 2)² + 1",
    der_formula="L′(w) = 2(w − 2)",
    minima=(2.0,), global_minimum=2.0, domain=(-3.0, 7.0), default_w0=-2.0, default_eta=0.1,
)

# A non-convex curve: L′(w) = w³ + w² − 2w = w(w + 2)(w − 1), so a local maximum at 0,
# the global minimum at −2 (L = 1/3) and a local minimum at 1 (L = 31/12).
TWO_MINIMA = Loss1D(
    name="two_minima",
    value=lambda w: w**4 / 4.0 + w**3 / 3.0 - w**2 + 3.0,
    der=lambda w: w**3 + w**2 - 2.0 * w,
    formula="L(w) = w⁴/4 + w³/3 − w² + 3",
    der_formula="L′(w) = w³ + w² − 2w",
    minima=(-2.0, 1.0), global_minimum=-2.0, domain=(-3.0, 2.2), default_w0=1.8, default_eta=0.1,
)

# The lecture's L(w₁) = 4w₁²: one minimum at 0; η > 0.125 overshoots, η > 0.25 diverges.
LECTURE = Loss1D(
    name="lecture",
    value=lambda w: 4.0 * w**2,
    der=lambda w: 8.0 * w,
    formula="L(w₁) = 4w₁²",
    der_formula="L′(w₁) = 8w₁",
    minima=(0.0,), global_minimum=0.0, domain=(-1.5, 1.5), default_w0=1.0, default_eta=0.05,
)

# The registry, by name, in the order of the page's menu.
LOSSES: dict[str, Loss1D] = {loss.name: loss for loss in (QUADRATIC, TWO_MINIMA, LECTURE)}


def get_loss(name: str) -> Loss1D:
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}") from None


# ---- three variables: L(w₁, w₂, b₁) = (b₁ + 2w₁ − w₂ − 3)² ----

THREE_VARIABLES = ("w1", "w2", "b1")
# The inside r = b₁ + 2w₁ − w₂ − 3 is linear: r = Σ cᵥ·v − 3 with these coefficients cᵥ.
THREE_COEFFICIENTS = {"w1": 2.0, "w2": -1.0, "b1": 1.0}
THREE_CONSTANT = -3.0
THREE_FORMULA = "L(w₁, w₂, b₁) = (b₁ + 2w₁ − w₂ − 3)²"
LECTURE_POINT = {"w1": 1.0, "w2": -1.0, "b1": 2.0}


def three_inner(w1: float, w2: float, b1: float) -> float:
    """r = b₁ + 2w₁ − w₂ − 3, so that L = r²."""
    return b1 + 2.0 * w1 - w2 - 3.0


def three_loss(w1: float, w2: float, b1: float) -> float:
    return three_inner(w1, w2, b1) ** 2


def three_gradient(w1: float, w2: float, b1: float) -> dict[str, float]:
    """(∂L/∂w₁, ∂L/∂w₂, ∂L/∂b₁) = 2r·(2, −1, 1) by the chain rule, r = b₁ + 2w₁ − w₂ − 3."""
    r = three_inner(w1, w2, b1)
    return {v: 2.0 * r * c for v, c in THREE_COEFFICIENTS.items()}


@dataclass(frozen=True)
class Slice:
    """L as a function of one variable v, the other two held fixed: L(v) = (c·v + k)²."""

    variable: str
    coefficient: float  # c
    offset: float  # k: everything in r that does not involve v
    at: float  # the value of v at the point

    def value(self, v: Number) -> Number:
        return (self.coefficient * v + self.offset) ** 2

    def der(self, v: Number) -> Number:
        return 2.0 * self.coefficient * (self.coefficient * v + self.offset)  # d/dv (cv + k)² = 2c(cv + k)


def three_slice(point: dict[str, float], variable: str) -> Slice:
    """Hold the other two variables at `point` and look at L along `variable` alone."""
    c = THREE_COEFFICIENTS[variable]
    offset = three_inner(**point) - c * point[variable]
    return Slice(variable=variable, coefficient=c, offset=offset, at=point[variable])
