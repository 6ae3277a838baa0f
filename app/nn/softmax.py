"""Softmax: scores → probabilities, and the cross-entropy of a prediction (slides 46–48, 163–166).

    pᵢ = e^(sᵢ/T) / Σⱼ e^(sⱼ/T)

with temperature T (T = 1 is the plain softmax; the RNN lab samples its next character with the
same function: a small T sharpens the distribution, a large T flattens it). The lecture's
example: scores (1.9, 1.1, 0.2) → e^s = (6.69, 3.00, 1.22), sum 10.91 → (0.61, 0.28, 0.11).

Cross-entropy against a one-hot target t (1 at the right class k, 0 elsewhere):
L = −Σ tᵢ log pᵢ = −log p_k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SoftmaxResult:
    logits: tuple[float, ...]  # the scores s
    temperature: float  # T
    scaled: tuple[float, ...]  # s / T
    exp: tuple[float, ...]  # e^(s/T), as the slide writes them (not shifted)
    total: float  # Σ e^(s/T)
    probabilities: tuple[float, ...]  # e^(s/T) / Σ


def softmax(logits, temperature: float = 1.0) -> np.ndarray:
    """p = softmax(s / T), computed as e^(s/T − max) / Σ so that large scores never overflow."""
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    z = np.asarray(logits, dtype=float) / float(temperature)
    e = np.exp(z - z.max())
    return e / e.sum()


def softmax_steps(logits, temperature: float = 1.0) -> SoftmaxResult:
    """Every number of the slide's walk-through: s/T, e^(s/T), their sum, the probabilities."""
    s = np.asarray(logits, dtype=float)
    scaled = s / float(temperature)
    e = np.exp(scaled)  # callers keep |s/T| small enough (the lab: ≤ 500) for e^(s/T) to be finite
    return SoftmaxResult(
        logits=tuple(map(float, s)), temperature=float(temperature), scaled=tuple(map(float, scaled)),
        exp=tuple(map(float, e)), total=float(e.sum()), probabilities=tuple(map(float, softmax(s, temperature))),
    )


def cross_entropy(probabilities, target: int) -> float:
    """L = −log p_target: the loss of predicting `probabilities` when class `target` is right."""
    p = float(np.asarray(probabilities, dtype=float)[target])
    return float(-np.log(max(p, 1e-300)))


def one_hot(target: int, n: int) -> list[float]:
    """(0, …, 1, …, 0): 1 at the right class."""
    return [1.0 if i == target else 0.0 for i in range(n)]
