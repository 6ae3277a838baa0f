"""app/nn/rnn.py against the real Keras 3 layers (float64) and against a plain Python loop.

Tolerances: numpy vs Keras in float64 agree to 1e-12 (same formulas, different summation order);
the complex-step sensitivity vs central finite differences through the Keras layer's forward
pass (ε = 1e-5, float64) agree to a relative 1e-6 wherever the norm is above 1e-4
(truncation O(ε²) ≈ 1e-10, rounding ≈ 1e-16/ε ≈ 1e-11).
"""

import math

import numpy as np
import pytest

from app.nn import rnn

keras = pytest.importorskip("keras")

KERAS_LAYERS = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def keras_layer(cell, units, inputs, weights=None, activation="tanh", seed=0):
    """A real float64 Keras layer returning every step's state, with the given (or random) weights."""
    kwargs = {"activation": activation} if cell == "simple_rnn" else {}
    layer = KERAS_LAYERS[cell](units, return_sequences=True, dtype="float64", seed=seed, **kwargs)
    layer.build((None, None, inputs))
    if weights is not None:
        layer.set_weights(weights)
    return layer


def keras_run(layer, xs, initial_state=None):
    out = layer(np.asarray(xs, dtype="float64"), initial_state=initial_state)
    return keras.ops.convert_to_numpy(out)


def random_weights(cell, inputs, units, scale, rng):
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[cell]
    w = [rng.normal(0, scale, (inputs, gates * units)), rng.normal(0, scale, (units, gates * units))]
    w.append(rng.normal(0, scale, (2, gates * units)) if cell == "gru" else rng.normal(0, scale, gates * units))
    return w


# --- the forward pass equals Keras -----------------------------------------------------------------

@pytest.mark.parametrize("cell", rnn.CELLS)
def test_keras_initialised_layer_gives_the_same_states(cell):
    rng = np.random.default_rng(1)
    xs = rng.normal(size=(3, 7, 4))  # batch 3, 7 steps, 4 inputs
    layer = keras_layer(cell, units=5, inputs=4)
    expected = keras_run(layer, xs)
    got = rnn.run_layer(cell, xs, layer.get_weights())
    assert got.shape == expected.shape == (3, 7, 5)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)  # checks: same formula as Keras


@pytest.mark.parametrize("cell", rnn.CELLS)
def test_large_random_weights_and_initial_state_match_keras(cell):
    rng = np.random.default_rng(2)
    xs = rng.normal(size=(2, 6, 3))
    weights = random_weights(cell, 3, 4, scale=1.5, rng=rng)  # saturating gates: tests σ far from 0
    h0 = rng.normal(size=(2, 4))
    c0 = rng.normal(size=(2, 4))
    layer = keras_layer(cell, 4, 3, weights)
    state = [h0, c0] if cell == "lstm" else [h0]
    expected = keras_run(layer, xs, initial_state=state)
    got = rnn.run_layer(cell, xs, weights, h0=h0, c0=c0 if cell == "lstm" else None)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
def test_simple_rnn_activations_match_keras(activation):
    rng = np.random.default_rng(3)
    xs = rng.normal(size=(2, 5, 2))
    weights = random_weights("simple_rnn", 2, 3, scale=0.8, rng=rng)
    expected = keras_run(keras_layer("simple_rnn", 3, 2, weights, activation=activation), xs)
    got = rnn.run_layer("simple_rnn", xs, weights, activation=activation)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_float32_weights_stay_float32_and_close_to_float64():
    """A trained float32 model runs in float32 (what text generation will do)."""
    rng = np.random.default_rng(4)
    weights = random_weights("lstm", 3, 8, 0.5, rng)
    xs = rng.normal(size=(1, 10, 3))
    out32 = rnn.run_layer("lstm", xs.astype(np.float32), [w.astype(np.float32) for w in weights])
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, rnn.run_layer("lstm", xs, weights), atol=1e-5)


# --- slide 218's layer --------------------------------------------------------------------------

def plain_loop(inputs, w_x, w_h, b, h0, phi):
    """The slide's formula with nothing but Python floats: hʲₜ = φ(Σᵢ w_x[j][i]xⁱ + Σₖ w_h[j][k]hᵏ + bʲ)."""
    h, rows = list(h0), []
    for x in inputs:
        z = [sum(w_x[j][i] * x[i] for i in range(len(x))) + sum(w_h[j][k] * h[k] for k in range(len(h))) + b[j]
             for j in range(len(b))]
        h = [phi(v) for v in z]
        rows.append(h)
    return rows


PHI = {"tanh": math.tanh, "sigmoid": lambda z: 1 / (1 + math.exp(-z)), "relu": lambda z: max(0.0, z)}


@pytest.mark.parametrize("activation", list(PHI))
def test_layer_steps_equal_a_plain_python_loop_and_keras(activation):
    inputs = [[1, 0], [0, 1], [1, 1], [-0.5, 2]]
    w_x, w_h, b, h0 = [[0.5, -1.0], [2.0, 0.3]], [[0.8, -0.4], [0.1, 0.9]], [0.1, -0.2], [0.0, 0.5]
    steps = rnn.layer_steps(inputs, w_x, w_h, b, h0, activation)
    expected = plain_loop(inputs, w_x, w_h, b, h0, PHI[activation])
    np.testing.assert_allclose([s.h for s in steps], expected, rtol=0, atol=1e-14)  # checks: the formula
    # checks: w_x[j][i] is input i → neuron j (kernel = w_xᵀ), as a Keras SimpleRNN reads it
    layer = keras_layer("simple_rnn", 2, 2, rnn.slide_weights(w_x, w_h, b), activation=activation)
    np.testing.assert_allclose([s.h for s in steps], keras_run(layer, [inputs], [np.array([h0], float)])[0], atol=1e-12)


def test_layer_steps_keep_every_term_and_hand_h_to_the_next_step():
    steps = rnn.layer_steps([[1, 2], [3, 4]], [[1, 10], [100, 1000]], [[0.5, 0], [0, 0.25]], [1, 2],
                            h0=[0, 0], activation="linear")
    first, second = steps
    assert first.input_terms == ((1.0, 20.0), (100.0, 2000.0))  # w_x[j][i]·xⁱ
    assert first.recurrent_terms == ((0.0, 0.0), (0.0, 0.0))  # h₀ = 0
    assert first.z == (22.0, 2102.0) == first.h  # Σ + b, linear φ
    assert second.h_prev == first.h  # slide 214: last output becomes this input
    assert second.recurrent_terms == ((11.0, 0.0), (0.0, 525.5))  # w_h[j][k]·hᵏ₁
    assert second.slope == (1.0, 1.0)


def test_order_of_the_inputs_changes_the_final_state():
    args = ([[1, 0], [0, 1]], [[1.0, -1.0], [0.5, 2.0]], [[0.5, 1.0], [-1.0, 0.5]], [0, 0])
    forward = rnn.layer_steps(*args)[-1].h
    backward = rnn.layer_steps(args[0][::-1], *args[1:])[-1].h
    assert max(abs(a - b) for a, b in zip(forward, backward)) > 0.1


def test_bad_shapes_are_value_errors():
    with pytest.raises(ValueError):
        rnn.layer_steps([[1, 2, 3]], [[1, 1], [1, 1]], [[0, 0], [0, 0]], [0, 0])  # 3 inputs, w_x has 2 columns
    with pytest.raises(ValueError):
        rnn.layer_steps([[1, 2]], [[1, 1], [1, 1]], [[0, 0]], [0, 0])  # w_h not 2×2
    with pytest.raises(ValueError):
        rnn.layer_steps([[1, 2]], [[1, 1], [1, 1]], [[0, 0], [0, 0]], [0, 0], h0=[1])
    with pytest.raises(ValueError):
        rnn.run_layer("transformer", np.zeros((2, 1)), [np.zeros((1, 1))] * 3)


# --- the sensitivity ‖∂h_T/∂xₜ‖ equals finite differences through Keras ---------------------------

def keras_sensitivity(layer, xs, eps=1e-5):
    """‖∂h_T/∂xₜ‖ by central differences through the Keras layer's forward pass, one batch."""
    T, n = xs.shape
    directions = np.eye(T * n).reshape(T * n, T, n) * eps
    plus = keras_run(layer, xs[None] + directions)[:, -1, :]
    minus = keras_run(layer, xs[None] - directions)[:, -1, :]
    jac = ((plus - minus) / (2 * eps)).reshape(T, n, -1)
    return np.sqrt((jac ** 2).sum(axis=(1, 2)))


@pytest.mark.parametrize("cell,activation", [("simple_rnn", "tanh"), ("simple_rnn", "sigmoid"),
                                             ("simple_rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")])
def test_sensitivity_equals_keras_finite_differences(cell, activation):
    rng = np.random.default_rng(5)
    xs = rng.normal(size=(12, 3))
    weights = random_weights(cell, 3, 4, scale=0.7, rng=rng)
    got = rnn.state_sensitivity(cell, xs, weights, activation)
    expected = keras_sensitivity(keras_layer(cell, 4, 3, weights, activation=activation), xs)
    assert got.shape == (12,)
    big = expected > 1e-4
    assert big.sum() >= 3  # the comparison covers several steps
    np.testing.assert_allclose(got[big], expected[big], rtol=1e-6)
    assert np.all(np.abs(got[~big] - expected[~big]) < 1e-9)  # where FD is only noise, both are tiny


def analytic_simple_rnn_sensitivity(xs, weights):
    """Chain rule: ∂h_T/∂xₜ = D_T Uᵀ D_{T−1} Uᵀ … D_t Wᵀ with D = diag(1 − h²) for tanh."""
    kernel, recurrent, _ = weights
    hs = rnn.run_layer("simple_rnn", xs, weights)
    norms, back = [], np.eye(recurrent.shape[0])  # ∂h_T/∂h_T
    for t in range(len(xs) - 1, -1, -1):
        d = np.diag(1 - hs[t] ** 2)  # tanh′(z) = 1 − h²
        norms.append(np.linalg.norm(back @ d @ kernel.T))  # ∂h_T/∂xₜ
        back = back @ d @ recurrent.T  # ∂h_T/∂hₜ₋₁
    return np.array(norms[::-1])


def test_simple_rnn_sensitivity_vanishes_geometrically_below_finite_difference_noise():
    """With small recurrent weights ∂h_T/∂xₜ shrinks like ‖U‖^(T−t); the complex step still measures it."""
    rng = np.random.default_rng(6)
    xs = rng.normal(size=(40, 2))
    weights = random_weights("simple_rnn", 2, 3, scale=0.2, rng=rng)
    s = rnn.state_sensitivity("simple_rnn", xs, weights)
    assert s[-1] > 0.1
    assert 0 < s[0] < 1e-12  # vanished below what finite differences could resolve (~1e-11 noise)
    np.testing.assert_allclose(s, analytic_simple_rnn_sensitivity(xs, weights), rtol=1e-9)  # yet exact
    assert np.all(np.diff(np.log(s[5:])) > 0)  # steadily more influence the closer to the end
