"""A small multilayer perceptron in numpy: the Python twin of static/js/nn.js.

The browser trains /fit and /playground with nn.js; this module does the same arithmetic on the
server (POST /api/fit) and in the tests, which check that both give the same weights and losses
from the same seed and data. Same PRNG (mulberry32), same initialisation order, same update:

    z = a_prev·Wᵀ + b,  a = φ(z)                      (W[j] is the row of weights into neuron j)
    dz = da ⊙ φ′(z),  ∂L/∂W = dzᵀ·a_prev,  ∂L/∂b = Σ dz,  da_prev = dz·W
    W ← W − η(∂L/∂W + λW),  b ← b − η·∂L/∂b           (SGD with L2 on the weights)

or Adam (apply_adam, used by the 2-D GAN): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
    w ← w − η·m̂ / (√v̂ + ε) with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).

Weights start Glorot-uniform, U(−r, r) with r = √(6 / (fan_in + fan_out)); biases U(−β, β).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from app.nn.activations import get_activation

MASK = 0xFFFFFFFF
MLP_ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")


class Mulberry32:
    """The 32-bit PRNG of nn.js, bit for bit: next() is uniform in [0, 1)."""

    def __init__(self, seed: int = 0):
        self.a = seed & MASK

    def next(self) -> float:
        self.a = (self.a + 0x6D2B79F5) & MASK
        t = self.a
        t = ((t ^ (t >> 15)) * (t | 1)) & MASK
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & MASK)) & MASK
        return ((t ^ (t >> 14)) & MASK) / 4294967296


# ---- losses on the output Y (n × k) against targets T; grad is dL/dY ----

def mse(Y: np.ndarray, T: np.ndarray) -> float:
    """Mean squared error: mean of (y − t)²."""
    return float(np.mean((Y - T) ** 2))


def mse_grad(Y: np.ndarray, T: np.ndarray) -> np.ndarray:
    return 2.0 * (Y - T) / Y.size


def logistic(Y: np.ndarray, T: np.ndarray) -> float:
    """Binary cross-entropy on logits y (p = σ(y)), targets t ∈ {0, 1}: mean of softplus(y) − t·y."""
    return float(np.mean(np.maximum(Y, 0) + np.log1p(np.exp(-np.abs(Y))) - T * Y))


def logistic_grad(Y: np.ndarray, T: np.ndarray) -> np.ndarray:
    return (get_activation("sigmoid").output(Y) - T) / Y.size  # dL/dy = (σ(y) − t)/n


LOSSES = {"mse": (mse, mse_grad), "logistic": (logistic, logistic_grad)}


@dataclass
class Layer:
    W: np.ndarray  # (out, in)
    b: np.ndarray  # (out,)
    activation: str
    gW: np.ndarray = field(init=False)
    gb: np.ndarray = field(init=False)

    def __post_init__(self):
        self.gW = np.zeros_like(self.W)
        self.gb = np.zeros_like(self.b)


class MLP:
    """Dense layers; forward(X) → Y, backward(dL/dY) → dL/dX, apply_gradients(η, λ)."""

    def __init__(self, sizes: list[int], activations: list[str], seed: int = 0, bias_scale: float = 0.0):
        if len(activations) != len(sizes) - 1:
            raise ValueError("one activation per layer")
        rng = Mulberry32(seed)
        self.sizes = list(sizes)
        self.layers: list[Layer] = []
        for n_in, n_out, act in zip(sizes[:-1], sizes[1:], activations):
            get_activation(act)
            r = math.sqrt(6.0 / (n_in + n_out))
            W = np.array([[(2 * rng.next() - 1) * r for _ in range(n_in)] for _ in range(n_out)]).reshape(n_out, n_in)
            b = np.array([(2 * rng.next() - 1) * bias_scale for _ in range(n_out)])
            self.layers.append(Layer(W, b, act))
        self._cache: list[tuple[np.ndarray, np.ndarray]] = []

    def forward(self, X) -> np.ndarray:
        A = np.asarray(X, dtype=float)
        self._cache = [(None, A)]
        for layer in self.layers:
            Z = A @ layer.W.T + layer.b
            A = get_activation(layer.activation).output(Z)
            self._cache.append((Z, A))
        return A

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """Adds ∂L/∂W, ∂L/∂b (for the last forward batch) to the layers' gradients; returns dL/dX."""
        dA = np.asarray(dY, dtype=float)
        for l in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[l]
            Z, A_prev = self._cache[l + 1][0], self._cache[l][1]
            dZ = dA * get_activation(layer.activation).der(Z)
            layer.gW += dZ.T @ A_prev
            layer.gb += dZ.sum(axis=0)
            dA = dZ @ layer.W
        return dA

    def apply_gradients(self, eta: float, lam: float = 0.0) -> None:
        for layer in self.layers:
            layer.W -= eta * (layer.gW + lam * layer.W)
            layer.b -= eta * layer.gb
            layer.gW[:] = 0.0
            layer.gb[:] = 0.0

    def zero_gradients(self) -> None:
        """Forget the gradients gathered so far (after backpropagating through a network that
        is not being trained this step, as D is during G's step)."""
        for layer in self.layers:
            layer.gW[:] = 0.0
            layer.gb[:] = 0.0

    def apply_adam(self, eta: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        """One Adam step on every weight and bias, then the gradients start again from zero.
        βᵗ is kept as a running product (not a power) so that nn.js gets the same bits."""
        if not hasattr(self, "_adam"):
            self._adam = {"t": 0, "b1t": 1.0, "b2t": 1.0,
                          "m": [(np.zeros_like(L.W), np.zeros_like(L.b)) for L in self.layers],
                          "v": [(np.zeros_like(L.W), np.zeros_like(L.b)) for L in self.layers]}
        s = self._adam
        s["t"] += 1
        s["b1t"] *= beta1
        s["b2t"] *= beta2
        for layer, m, v in zip(self.layers, s["m"], s["v"]):
            for k, (w, g) in enumerate(((layer.W, layer.gW), (layer.b, layer.gb))):
                m[k][...] = beta1 * m[k] + (1 - beta1) * g
                v[k][...] = beta2 * v[k] + (1 - beta2) * (g * g)
                m_hat, v_hat = m[k] / (1 - s["b1t"]), v[k] / (1 - s["b2t"])
                w -= eta * m_hat / (np.sqrt(v_hat) + eps)
                g[...] = 0.0

    def weights(self) -> list[dict]:
        return [{"W": layer.W.tolist(), "b": layer.b.tolist(), "activation": layer.activation} for layer in self.layers]


class Trainer:
    """Mini-batch SGD as nn.js's trainer: each epoch visits the rows in an order shuffled by
    the trainer's own mulberry32 (Fisher–Yates); a step takes the next batch_size rows."""

    def __init__(self, net: MLP, X, T, loss: str = "mse", batch_size: int | None = None, seed: int = 0):
        self.net, self.X, self.T = net, np.asarray(X, dtype=float), np.asarray(T, dtype=float)
        self.value, self.grad = LOSSES[loss]
        self.batch_size = max(1, min(batch_size or len(self.X), len(self.X)))
        self.rng = Mulberry32(seed)
        self.order: list[int] = []
        self.pos = 0
        self.steps = 0
        self.epochs = 0

    def _shuffle(self) -> None:
        order = list(range(len(self.X)))
        for i in range(len(order) - 1, 0, -1):
            k = math.floor(self.rng.next() * (i + 1))
            order[i], order[k] = order[k], order[i]
        self.order, self.pos = order, 0

    def step(self, eta: float, lam: float = 0.0) -> float:
        """One update; returns the batch's loss before it."""
        if self.pos >= len(self.order):
            if self.order:
                self.epochs += 1
            self._shuffle()
        idx = self.order[self.pos:self.pos + self.batch_size]
        self.pos += len(idx)
        xb, tb = self.X[idx], self.T[idx]
        Y = self.net.forward(xb)
        value = self.value(Y, tb)
        self.net.backward(self.grad(Y, tb))
        self.net.apply_gradients(eta, lam)
        self.steps += 1
        return value

    def loss(self, X=None, T=None) -> float:
        X = self.X if X is None else np.asarray(X, dtype=float)
        T = self.T if T is None else np.asarray(T, dtype=float)
        return self.value(self.net.forward(X), T) if len(X) else math.nan
