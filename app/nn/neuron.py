"""One neuron: h = φ(w₁x₁ + … + wₙxₙ + b), keeping every intermediate number.

The lecture's example (slides 108–121): w = (1, 2), b = 1, x = (1, 3), ReLU →
1·1 + 2·3 = 7, 7 + 1 = 8, ReLU(8) = 8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.nn.activations import get_activation


@dataclass(frozen=True)
class NeuronResult:
    x: tuple[float, ...]
    w: tuple[float, ...]
    b: float
    activation: str
    products: tuple[float, ...]  # wᵢxᵢ, one per input
    total: float  # Σ wᵢxᵢ
    z: float  # pre-activation Σ wᵢxᵢ + b
    h: float  # output φ(z)
    slope: float  # φ′(z): how much h moves per unit of z

    def as_dict(self) -> dict:
        return {
            "x": list(self.x), "w": list(self.w), "b": self.b, "activation": self.activation,
            "products": list(self.products), "sum": self.total, "pre_activation": self.z,
            "output": self.h, "slope": self.slope,
        }


def neuron(x: list[float], w: list[float], b: float, activation: str = "relu") -> NeuronResult:
    """h = φ(Σ wᵢxᵢ + b); x and w must have the same length."""
    if len(x) != len(w):
        raise ValueError(f"x has {len(x)} numbers but w has {len(w)}")
    phi = get_activation(activation)
    x_arr = np.asarray(x, dtype=float)
    w_arr = np.asarray(w, dtype=float)
    products = w_arr * x_arr  # wᵢxᵢ
    total = float(products.sum())  # Σ wᵢxᵢ (summed in order, as on the slide)
    z = total + float(b)  # + b
    return NeuronResult(
        x=tuple(float(v) for v in x_arr), w=tuple(float(v) for v in w_arr), b=float(b), activation=phi.name,
        products=tuple(float(p) for p in products), total=total, z=z,
        h=float(phi.output(z)), slope=float(phi.der(z)),
    )
