"""Each activation's derivative against a central difference, and the values the lecture uses."""

import numpy as np
import pytest

from app.nn.activations import ACTIVATIONS, get_activation

H = 1e-5  # step of the central difference (φ(z + h) − φ(z − h)) / 2h
TOL = 1e-6  # its error is O(h²) ≈ 1e-10 times φ‴, far below this
Z = np.array([-3.0, -1.2, -0.3, 0.4, 1.0, 2.5])  # away from ReLU's kink at 0


def numerical_der(f, z):
    return (f(z + H) - f(z - H)) / (2 * H)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_derivative_matches_central_difference(name):
    phi = ACTIVATIONS[name]
    # checks: φ′(z) is the slope of φ at every sample point, within TOL
    np.testing.assert_allclose(phi.der(Z), numerical_der(phi.output, Z), atol=TOL)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_scalar_in_scalar_out(name):
    phi = ACTIVATIONS[name]
    assert np.ndim(phi.output(0.5)) == 0 and np.ndim(phi.der(0.5)) == 0  # checks: floats stay floats


def test_known_values():
    assert ACTIVATIONS["relu"].output(8.0) == 8.0  # the lecture's neuron: ReLU(8) = 8
    assert ACTIVATIONS["relu"].output(-2.0) == 0.0  # ReLU clips negatives to 0
    assert ACTIVATIONS["relu"].der(0.0) == 0.0  # the kink: we take φ′(0) = 0, as nn.ts does
    assert ACTIVATIONS["sigmoid"].output(0.0) == pytest.approx(0.5, abs=1e-12)
    assert ACTIVATIONS["tanh"].output(0.0) == 0.0
    assert ACTIVATIONS["gaussian"].output(0.0) == 1.0  # e^0
    assert ACTIVATIONS["linear"].output(-7.5) == -7.5


def test_sigmoid_does_not_overflow_for_large_inputs():
    with np.errstate(over="raise"):  # checks: no overflow warning, and the limits are exact
        assert ACTIVATIONS["sigmoid"].output(-1000.0) == 0.0
        assert ACTIVATIONS["sigmoid"].output(1000.0) == 1.0


def test_unknown_activation_is_a_value_error():
    with pytest.raises(ValueError):
        get_activation("softplus")
