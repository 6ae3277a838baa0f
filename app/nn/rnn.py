"""Recurrent layers in numpy, in Keras 3's weight layout (slides 212–232).

A recurrent layer "secretly feeds its last output back in as an input" (slide 214):

    hₜ = φ(xₜ·W + hₜ₋₁·U + b)                     (SimpleRNN)

Weights are the arrays `layer.get_weights()` returns, in that order, so a trained Keras model
runs here unchanged (the web process never imports Keras):

    SimpleRNN  kernel (inputs, units)     recurrent_kernel (units, units)     bias (units,)
    LSTM       kernel (inputs, 4·units)   recurrent_kernel (units, 4·units)   bias (4·units,)
               gates in the order i, f, c, o; recurrent_activation sigmoid (Keras 3 defaults)
    GRU        kernel (inputs, 3·units)   recurrent_kernel (units, 3·units)   bias (2, 3·units)
               gates z, r, h; reset_after=True: row 0 of the bias is the input's, row 1 the state's

Every step takes a batch: x is (..., inputs), h is (..., units). The functions accept complex
arrays too (σ is written through tanh, ReLU through the real part), which is how
`state_sensitivity` differentiates exactly with the complex-step trick.

Slide 218's two-neuron layer is written the lecture's way, one weight per arrow:
w_x[j][i] from input i to neuron j, w_h[j][k] from the previous state of neuron k to neuron j,
so kernel = w_xᵀ and recurrent_kernel = w_hᵀ. `layer_steps` keeps every term for the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from app.nn.activations import get_activation

CELLS = ("simple_rnn", "lstm", "gru")


def sigmoid(z):
    """σ(z) = 1 / (1 + e⁻ᶻ) = (1 + tanh(z/2)) / 2: never overflows, and works on complex z."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z)))


def relu(z):
    """max(0, z), taking the branch from the real part (so a complex step keeps its derivative)."""
    z = np.asarray(z)
    return z * (z.real > 0)


def linear(z):
    return np.asarray(z) * 1.0


STEP_ACTIVATIONS: dict[str, Callable] = {"tanh": np.tanh, "sigmoid": sigmoid, "relu": relu, "linear": linear}


def step_activation(name: str) -> Callable:
    try:
        return STEP_ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(STEP_ACTIVATIONS)}") from None


# --- one time step of each cell (Keras 3 layout) -------------------------------------------------

def simple_rnn_step(x, h, kernel, recurrent_kernel, bias, activation: str = "tanh"):
    """hₜ = φ(xₜ·W + hₜ₋₁·U + b), as keras.layers.SimpleRNN."""
    return step_activation(activation)(x @ kernel + h @ recurrent_kernel + bias)


def lstm_step(x, state, kernel, recurrent_kernel, bias):
    """(hₜ, cₜ) from (hₜ₋₁, cₜ₋₁), as keras.layers.LSTM with its defaults.

    i, f, o = σ(·) are the input, forget and output gates; g = tanh(·) the candidate;
    cₜ = f·cₜ₋₁ + i·g (the cell's memory: a sum, not a product, so it need not fade);
    hₜ = o·tanh(cₜ).
    """
    h, c = state
    z = x @ kernel + h @ recurrent_kernel + bias
    zi, zf, zg, zo = np.split(z, 4, axis=-1)
    i, f, g, o = sigmoid(zi), sigmoid(zf), np.tanh(zg), sigmoid(zo)
    c = f * c + i * g
    return o * np.tanh(c), c


def gru_step(x, h, kernel, recurrent_kernel, bias):
    """hₜ from hₜ₋₁, as keras.layers.GRU with reset_after=True (its default).

    u = σ(update gate), r = σ(reset gate); candidate ĥ = tanh(x·W_h + b_h + r·(h·U_h + b'_h));
    hₜ = u·hₜ₋₁ + (1 − u)·ĥ.
    """
    bias = np.asarray(bias)
    x_part = x @ kernel + bias[0]
    h_part = h @ recurrent_kernel + bias[1]
    xu, xr, xh = np.split(x_part, 3, axis=-1)
    hu, hr, hh = np.split(h_part, 3, axis=-1)
    u = sigmoid(xu + hu)
    r = sigmoid(xr + hr)
    candidate = np.tanh(xh + r * hh)
    return u * h + (1.0 - u) * candidate


# --- a whole sequence ----------------------------------------------------------------------------

def units_of(cell: str, weights: Sequence[np.ndarray]) -> int:
    width = np.shape(weights[1])[0]  # recurrent_kernel is (units, k·units)
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; known: {', '.join(CELLS)}")
    return int(width)


def run_layer(cell: str, xs, weights: Sequence[np.ndarray], h0=None, c0=None, activation: str = "tanh"):
    """All hidden states of a layer over a sequence, like Keras with return_sequences=True.

    xs: (..., T, inputs); weights: `layer.get_weights()`; h0 (and c0 for LSTM): (..., units),
    zeros when omitted. Returns (..., T, units).
    """
    xs = np.asarray(xs)
    kernel, recurrent_kernel, bias = (np.asarray(w) for w in weights[:3])
    units = units_of(cell, weights)
    batch = xs.shape[:-2]
    dtype = np.result_type(xs, kernel, np.float32)  # float32 stays float32; ints become floats
    h = np.zeros(batch + (units,), dtype) if h0 is None else np.asarray(h0) + np.zeros(batch + (units,), dtype)
    c = np.zeros_like(h) if c0 is None else np.asarray(c0) + np.zeros_like(h)
    out = []
    for t in range(xs.shape[-2]):
        x = xs[..., t, :]
        if cell == "simple_rnn":
            h = simple_rnn_step(x, h, kernel, recurrent_kernel, bias, activation)
        elif cell == "lstm":
            h, c = lstm_step(x, (h, c), kernel, recurrent_kernel, bias)
        else:
            h = gru_step(x, h, kernel, recurrent_kernel, bias)
        out.append(h)
    return np.stack(out, axis=-2)


# --- slide 218: every term of a small SimpleRNN layer --------------------------------------------

@dataclass(frozen=True)
class LayerStep:
    """One time step t of slide 218's layer, every intermediate number kept."""

    t: int  # 1-based, as on the slides
    x: tuple[float, ...]  # xₜ
    h_prev: tuple[float, ...]  # hₜ₋₁, handed over from the step before
    input_terms: tuple[tuple[float, ...], ...]  # [j][i] = w_x[j][i]·xⁱₜ
    recurrent_terms: tuple[tuple[float, ...], ...]  # [j][k] = w_h[j][k]·hᵏₜ₋₁
    z: tuple[float, ...]  # zʲ = Σᵢ w_x·x + Σₖ w_h·h + bʲ
    h: tuple[float, ...]  # hʲₜ = φ(zʲ)
    slope: tuple[float, ...]  # φ′(zʲ)

    def as_dict(self) -> dict:
        return {"t": self.t, "x": list(self.x), "h_prev": list(self.h_prev),
                "input_terms": [list(r) for r in self.input_terms],
                "recurrent_terms": [list(r) for r in self.recurrent_terms],
                "pre_activation": list(self.z), "hidden": list(self.h), "slope": list(self.slope)}


def _tuple2(a) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(v) for v in row) for row in a)


def layer_steps(inputs, w_x, w_h, b, h0=None, activation: str = "tanh") -> list[LayerStep]:
    """Slide 218: hʲₜ = φ(Σᵢ w_x[j][i]·xⁱₜ + Σₖ w_h[j][k]·hᵏₜ₋₁ + bʲ), for t = 1…T.

    inputs: T rows of n inputs; w_x: m×n; w_h: m×m; b and h0: m numbers.
    """
    xs = np.asarray(inputs, dtype=float)
    w_x, w_h, b = np.asarray(w_x, dtype=float), np.asarray(w_h, dtype=float), np.asarray(b, dtype=float)
    if xs.ndim != 2:
        raise ValueError("inputs must be a list of time steps, each a list of numbers")
    m, n = w_x.shape if w_x.ndim == 2 else (-1, -1)
    if n != xs.shape[1]:
        raise ValueError(f"w_x must have one row per neuron and {xs.shape[1]} columns (one per input)")
    if w_h.shape != (m, m) or b.shape != (m,):
        raise ValueError(f"w_h must be {m}×{m} and b must have {m} numbers (one per neuron)")
    h = np.zeros(m) if h0 is None else np.asarray(h0, dtype=float)
    if h.shape != (m,):
        raise ValueError(f"h0 must have {m} numbers (one per neuron)")
    phi = get_activation(activation)
    steps = []
    for t, x in enumerate(xs, start=1):
        input_terms = w_x * x[None, :]  # [j][i] = w_x[j][i]·xⁱ
        recurrent_terms = w_h * h[None, :]  # [j][k] = w_h[j][k]·hᵏₜ₋₁
        z = input_terms.sum(axis=1) + recurrent_terms.sum(axis=1) + b
        h_new = np.asarray(phi.output(z), dtype=float)
        steps.append(LayerStep(t=t, x=tuple(map(float, x)), h_prev=tuple(map(float, h)),
                               input_terms=_tuple2(input_terms), recurrent_terms=_tuple2(recurrent_terms),
                               z=tuple(map(float, z)), h=tuple(map(float, h_new)),
                               slope=tuple(map(float, phi.der(z)))))
        h = h_new
    return steps


def slide_weights(w_x, w_h, b) -> list[np.ndarray]:
    """Slide 218's w_x[j][i], w_h[j][k], b as Keras SimpleRNN weights [kernel, recurrent_kernel, bias]."""
    return [np.asarray(w_x, dtype=float).T, np.asarray(w_h, dtype=float).T, np.asarray(b, dtype=float)]


# --- slides 229–232: how much the last state still depends on each step --------------------------

def state_sensitivity(cell: str, xs, weights: Sequence[np.ndarray], activation: str = "tanh",
                      step: float = 1e-30) -> np.ndarray:
    """‖∂h_T/∂xₜ‖ (Frobenius norm of the units × inputs Jacobian) for t = 1…T, one float each.

    Exact to rounding by the complex step: f(x + iε) = f(x) + iε·f′(x) + O(ε²), so
    Im f(x + iε)/ε is f′(x) with no subtraction, even where the gradient has vanished to 1e-30.
    All T·inputs directions run as one batch through `run_layer`.
    """
    xs = np.asarray(xs, dtype=float)
    T, n = xs.shape
    directions = np.eye(T * n).reshape(T * n, T, n)  # one perturbed input per (t, i)
    batch = xs[None, :, :] + 1j * step * directions
    weights = [np.asarray(w, dtype=float) for w in weights]
    h_last = run_layer(cell, batch, weights, activation=activation)[:, -1, :]  # (T·n, units)
    jacobian = (h_last.imag / step).reshape(T, n, -1)  # [t, i, j] = ∂h_Tʲ/∂xⁱₜ
    return np.sqrt((jacobian ** 2).sum(axis=(1, 2)))


# --- starting weights the way Keras draws them ---------------------------------------------------

def glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """U(−√(6/(fan_in+fan_out)), +√(6/(fan_in+fan_out))): Keras's default kernel initializer."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def orthogonal(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """Orthonormal rows or columns (Keras's default recurrent_kernel): it neither shrinks nor grows h."""
    q, r = np.linalg.qr(rng.normal(size=(max(rows, cols), min(rows, cols))))
    q = q * np.sign(np.diag(r))
    return q if rows >= cols else q.T


def initial_weights(cell: str, inputs: int, units: int, rng: np.random.Generator,
                    recurrent_scale: float = 1.0, gate_bias: float = 1.0) -> list[np.ndarray]:
    """[kernel, recurrent_kernel, bias] as a fresh Keras layer has them, with the recurrent kernel
    times `recurrent_scale` and the "keep" gate's bias set to `gate_bias` (the LSTM's forget gate,
    which Keras starts at 1 — unit_forget_bias —, or the GRU's update gate, which it starts at 0)."""
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[cell]
    kernel = glorot_uniform(rng, inputs, gates * units)
    recurrent = recurrent_scale * orthogonal(rng, units, gates * units)
    if cell == "gru":
        bias = np.zeros((2, 3 * units))
        bias[0, :units] = gate_bias  # update gate u: hₜ = u·hₜ₋₁ + (1 − u)·ĥ
    else:
        bias = np.zeros(gates * units)
        if cell == "lstm":
            bias[units:2 * units] = gate_bias  # forget gate f: cₜ = f·cₜ₋₁ + i·g
    return [kernel, recurrent, bias]
