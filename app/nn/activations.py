"""Activation functions φ(z), each next to its derivative φ′(z).

Like tensorflow/playground's nn.ts, every activation is a pair (output, der), so a page can
plot φ and show the slope at a point. All functions take a float or a numpy array.

    >>> ACTIVATIONS["relu"].output(8.0), ACTIVATIONS["relu"].der(8.0)
    (8.0, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Number = float | np.ndarray


@dataclass(frozen=True)
class Activation:
    name: str
    output: Callable[[Number], Number]  # φ(z)
    der: Callable[[Number], Number]  # φ′(z) = dφ/dz
    formula: str  # how the lecture writes φ(z)


def _relu(z):
    return np.maximum(0.0, z) * 1.0


def _relu_der(z):
    # φ′(0) is undefined; like nn.ts we take 0 there.
    return np.where(np.asarray(z) > 0, 1.0, 0.0) * 1.0


def _sigmoid(z):
    # 1 / (1 + e^−z), written so that a large |z| never overflows e^−z
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)) * 1.0


def _sigmoid_der(z):
    s = _sigmoid(z)
    return s * (1.0 - s)  # σ′(z) = σ(z)(1 − σ(z))


def _tanh(z):
    return np.tanh(z) * 1.0


def _tanh_der(z):
    return 1.0 - np.tanh(z) ** 2  # tanh′(z) = 1 − tanh²(z)


def _gaussian(z):
    return np.exp(-np.square(z)) * 1.0  # e^(−z²)


def _gaussian_der(z):
    return -2.0 * np.asarray(z, dtype=float) * np.exp(-np.square(z))  # −2z·e^(−z²)


def _linear(z):
    return np.asarray(z, dtype=float) * 1.0


def _linear_der(z):
    return np.ones_like(np.asarray(z, dtype=float))


RELU = Activation("relu", _relu, _relu_der, "max(0, z)")
SIGMOID = Activation("sigmoid", _sigmoid, _sigmoid_der, "1 / (1 + e⁻ᶻ)")
TANH = Activation("tanh", _tanh, _tanh_der, "tanh(z)")
GAUSSIAN = Activation("gaussian", _gaussian, _gaussian_der, "e^(−z²)")
LINEAR = Activation("linear", _linear, _linear_der, "z")

# The registry, by name: the order is the order of the page's menu.
ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (RELU, SIGMOID, TANH, GAUSSIAN, LINEAR)}


def get_activation(name: str) -> Activation:
    """The activation called `name`; ValueError for a name we do not know."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}") from None
