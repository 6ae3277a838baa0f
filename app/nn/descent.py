"""Gradient descent on a one-parameter loss: w ← w − η·L′(w), and what happened.

A run keeps every point of the path, (w, L(w), L′(w)) per step, and ends with a verdict.
The verdicts (checked in this order: start, w ran off, at a minimum, moving away, zig-zag, flat):

  start                   no step taken yet.
  diverged                w left every sensible range (|w| > W_LIMIT, or not a finite number), or
                          after at least 2 steps w ends farther from the nearest minimum than it
                          started AND farther than one step before: each step overshoots by more
                          than it corrects (η too large: for L = a(w − m)², η > 1/a).
  converged               w ends within CONVERGED_TOL of the global minimum.
  stuck_in_local_minimum  w ends within CONVERGED_TOL of a minimum that is not the lowest one.
  oscillating             the slope L′ changed sign in at least half of the steps: w jumps from
                          one side of the valley to the other (η too large, slide 145; for
                          L = a(w − m)², 1/(2a) < η ≤ 1/a), and it is not at the bottom yet.
  stalled                 L′(w) is 0 (|L′| < FLAT_SLOPE) but w is not at a minimum, e.g. on top
                          of a hill: gradient descent cannot move.
  converging              none of the above: w goes downhill but needs more steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.nn.losses import Loss1D

W_LIMIT = 1e6  # beyond this |w| the run has certainly diverged; we stop before floats overflow
CONVERGED_TOL = 1e-3  # |w − w*| at which we call w "at the minimum w*"
FLAT_SLOPE = 1e-9  # |L′(w)| below this counts as zero slope
VERDICTS = ("start", "converging", "converged", "stuck_in_local_minimum", "oscillating", "diverged", "stalled")


@dataclass(frozen=True)
class Point:
    w: float
    L: float  # L(w)
    dL: float  # L′(w)

    def as_dict(self) -> dict:
        return {"w": self.w, "L": self.L, "dL": self.dL}


@dataclass(frozen=True)
class Run:
    loss: str
    w0: float
    eta: float
    path: tuple[Point, ...]  # path[0] is the start; path[k] is w after k steps
    verdict: str
    overshot: bool  # did some step jump over the bottom of the valley (L′ changed sign)?
    stopped_early: bool  # stopped because w ran off to ±∞

    @property
    def steps(self) -> int:
        return len(self.path) - 1


def step(loss: Loss1D, w: float, eta: float) -> float:
    """One step of gradient descent: w ← w − η·L′(w) (downhill, by η times the slope)."""
    return w - eta * float(loss.der(w))


def _point(loss: Loss1D, w: float) -> Point:
    return Point(w=w, L=float(loss.value(w)), dL=float(loss.der(w)))


def run(loss: Loss1D, w0: float, eta: float, steps: int) -> Run:
    """Start at w0 and take `steps` steps of size η (fewer if w runs off to infinity)."""
    if eta <= 0:
        raise ValueError("the learning rate η must be positive")
    if steps < 0:
        raise ValueError("steps must be 0 or more")
    path = [_point(loss, float(w0))]
    stopped_early = False
    for _ in range(steps):
        w = step(loss, path[-1].w, eta)
        if not math.isfinite(w) or abs(w) > W_LIMIT:
            stopped_early = True
            if math.isfinite(w) and math.isfinite(float(loss.value(w))):
                path.append(_point(loss, w))  # show the jump that left the chart
            break
        path.append(_point(loss, w))
    return Run(loss=loss.name, w0=float(w0), eta=float(eta), path=tuple(path),
               verdict=verdict(loss, path, stopped_early), overshot=_sign_changes(path) > 0,
               stopped_early=stopped_early)


def _nearest_minimum(loss: Loss1D, w: float) -> float:
    return min(loss.minima, key=lambda m: abs(w - m))


def _sign_changes(path) -> int:
    """How many steps jumped across a bottom: L′ before and after have opposite signs."""
    return sum(1 for a, b in zip(path, path[1:]) if a.dL * b.dL < 0)


def verdict(loss: Loss1D, path, stopped_early: bool = False) -> str:
    """What the path did; see the module docstring for each verdict's definition."""
    steps = len(path) - 1
    if steps == 0:
        return "start"
    if stopped_early:
        return "diverged"
    distance = [abs(p.w - _nearest_minimum(loss, p.w)) for p in path]
    last = path[-1]
    if distance[-1] <= CONVERGED_TOL:
        return "converged" if _nearest_minimum(loss, last.w) == loss.global_minimum else "stuck_in_local_minimum"
    if steps >= 2 and distance[-1] > distance[0] and distance[-1] > distance[-2]:
        return "diverged"
    if steps >= 2 and _sign_changes(path) * 2 >= steps:
        return "oscillating"
    if abs(last.dL) < FLAT_SLOPE:
        return "stalled"
    return "converging"
