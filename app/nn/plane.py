"""The playground's data sets and input features: the Python twin of static/js/playground_data.js.

Two classes of points in the plane [−6, 6]², labels 0/1, as TensorFlow Playground's dataset.ts
makes them (circle, XOR, two Gaussians, spiral), every random number drawn from mulberry32 in the
same order as the page, so a seed gives the same points here and in the browser. `split` shuffles
and splits them as the page does; `features` turns (x₁, x₂) into the network's inputs.
"""

from __future__ import annotations

import math

from app.nn.mlp import Mulberry32

FEATURES = {
    "x1": lambda p: p[0],
    "x2": lambda p: p[1],
    "x1sq": lambda p: p[0] * p[0],
    "x2sq": lambda p: p[1] * p[1],
    "x1x2": lambda p: p[0] * p[1],
    "sin1": lambda p: math.sin(p[0]),
    "sin2": lambda p: math.sin(p[1]),
}


def _uniform(rng: Mulberry32, a: float, b: float) -> float:
    return a + (b - a) * rng.next()


def _normal(rng: Mulberry32, mean: float, variance: float) -> float:
    """Box–Muller, as the page draws it."""
    u, v = 1 - rng.next(), rng.next()
    return mean + math.sqrt(variance) * math.sqrt(-2 * math.log(u)) * math.cos(2 * math.pi * v)


def circle(n: int, noise: float, rng: Mulberry32) -> list[list[float]]:
    pts, R = [], 5.0
    for lo, hi, label in ((0, 0.5 * R, 1), (0.7 * R, R, 0)):
        for _ in range(math.ceil(n / 2)):
            r, t = _uniform(rng, lo, hi), _uniform(rng, 0, 2 * math.pi)
            x = r * math.sin(t) + _uniform(rng, -R, R) * noise
            y = r * math.cos(t) + _uniform(rng, -R, R) * noise
            pts.append([x, y, label])
    return pts


def xor(n: int, noise: float, rng: Mulberry32) -> list[list[float]]:
    pts = []
    for _ in range(n):
        x, y = _uniform(rng, -5, 5), _uniform(rng, -5, 5)
        x += 0.3 if x > 0 else -0.3
        y += 0.3 if y > 0 else -0.3
        label = 1 if x * y >= 0 else 0
        nx = _uniform(rng, -5, 5) * noise
        ny = _uniform(rng, -5, 5) * noise
        pts.append([x + nx, y + ny, label])
    return pts


def gauss(n: int, noise: float, rng: Mulberry32) -> list[list[float]]:
    variance = 0.5 + 3.5 * noise
    pts = []
    for mean, label in ((2.0, 1), (-2.0, 0)):
        for _ in range(math.ceil(n / 2)):
            x = _normal(rng, mean, variance)
            pts.append([x, _normal(rng, mean, variance), label])
    return pts


def spiral(n: int, noise: float, rng: Mulberry32) -> list[list[float]]:
    pts, m = [], n / 2
    for delta, label in ((0.0, 1), (math.pi, 0)):
        i = 0
        while i < m:
            r, t = i / m * 5, 1.75 * i / m * 2 * math.pi + delta
            x = r * math.sin(t) + _uniform(rng, -1, 1) * noise
            pts.append([x, r * math.cos(t) + _uniform(rng, -1, 1) * noise, label])
            i += 1
    return pts


DATASETS = {"circle": circle, "xor": xor, "gauss": gauss, "spiral": spiral}


def make(dataset: str, n: int, noise: float, seed: int) -> tuple[Mulberry32, list[list[float]]]:
    rng = Mulberry32(seed)
    return rng, DATASETS[dataset](n, noise, rng)


def split(points: list[list[float]], share: float, rng: Mulberry32) -> tuple[list, list]:
    """Fisher–Yates with the data's own generator, then the first `share` trains, the rest tests."""
    pts = [list(p) for p in points]
    for i in range(len(pts) - 1, 0, -1):
        k = math.floor(rng.next() * (i + 1))
        pts[i], pts[k] = pts[k], pts[i]
    n_train = round(len(pts) * share)  # JavaScript's Math.round, for shares whose product is not x.5
    return pts[:n_train], pts[n_train:]


def features(points, names: list[str]) -> list[list[float]]:
    return [[FEATURES[f](p) for f in names] for p in points]
