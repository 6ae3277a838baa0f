"""Fit a curve with one hidden layer (slides 92–94: one hidden layer can fit any function).

    ŷ(x) = Σⱼ vⱼ·φ(wⱼx + bⱼ) + c

Each term vⱼ·φ(wⱼx + bⱼ) is one hidden neuron's *piece*: a ReLU kink, a sigmoid step, a tanh
S-curve, scaled and shifted. The lab draws the pieces under their sum, so the learner sees the
curve being built out of them. Training is full-batch SGD on the mean squared error with
app/nn/mlp.py, exactly as static/js/fit.js does it in the browser with nn.js.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.nn.mlp import MLP, Trainer

X_RANGE = (-math.pi, math.pi)
SAMPLES = 101  # points of a named target on X_RANGE
BIAS_SCALE = 1.0  # biases start U(−1, 1): the kinks start spread over the range, not all at x = 0


def _step(x):
    return np.where(x >= 0, 1.0, 0.0)


# The named targets, each on [−π, π]: what the learner picks from the menu.
TARGETS = {
    "sin": np.sin,
    "step": _step,
    "abs": lambda x: np.abs(x) / math.pi,  # |x|, scaled to 0…1
    "bump": lambda x: np.exp(-2.0 * x**2),  # a Gaussian bump
}


def target_points(name: str, n: int = SAMPLES) -> np.ndarray:
    """(n, 2) rows [x, y] of a named target, evenly spaced over [−π, π]."""
    x = np.linspace(*X_RANGE, n)
    return np.stack([x, TARGETS[name](x)], axis=1)


@dataclass
class FitResult:
    mse: float  # on the target's own points, after training
    curve: list[list[float]]  # [x, ŷ(x)] on a fine grid over the target's x range
    pieces: list[list[list[float]]]  # per hidden neuron: [x, vⱼ·φ(wⱼx + bⱼ)]
    losses: list[float]  # the MSE every `every` steps, starting before the first
    bias: float  # c, the output's bias


def build(hidden: int, activation: str, seed: int) -> MLP:
    return MLP([1, hidden, 1], [activation, "linear"], seed=seed, bias_scale=BIAS_SCALE)


def pieces(net: MLP, xs: np.ndarray) -> np.ndarray:
    """(hidden, len(xs)): vⱼ·φ(wⱼx + bⱼ) for each hidden neuron j."""
    net.forward(xs[:, None])
    hidden_out = net._cache[1][1]  # φ(wx + b), (len(xs), hidden)
    return (hidden_out * net.layers[1].W[0]).T


def fit(points, hidden: int = 16, activation: str = "relu", learning_rate: float = 0.05, steps: int = 2000,
        seed: int = 0, curve_points: int = 121, record: int = 50) -> FitResult:
    """Train ŷ on the points [[x, y], …] for `steps` full-batch SGD steps; return what the lab draws."""
    data = np.asarray(points, dtype=float)
    X, Y = data[:, :1], data[:, 1:2]
    net = build(hidden, activation, seed)
    trainer = Trainer(net, X, Y, loss="mse", batch_size=None, seed=seed)
    every = max(1, steps // record)
    losses = [trainer.loss()]
    for k in range(1, steps + 1):
        trainer.step(learning_rate)
        if k % every == 0 or k == steps:
            losses.append(trainer.loss())
    mse = trainer.loss()
    xs = np.linspace(X.min(), X.max(), curve_points)
    ys = net.forward(xs[:, None])[:, 0]
    parts = pieces(net, xs)
    return FitResult(mse=float(mse), curve=np.stack([xs, ys], 1).tolist(),
                     pieces=[np.stack([xs, p], 1).tolist() for p in parts], losses=[float(v) for v in losses],
                     bias=float(net.layers[1].b[0]))
