"""Losses against numerical derivatives; minima where the module says they are."""

import numpy as np
import pytest

from app.nn import losses
from app.nn.losses import LOSSES, three_gradient, three_loss, three_slice

H = 1e-5  # central difference step
TOL = 1e-5  # absolute tolerance on derivatives (error O(h²·L‴) ≈ 1e-9 on these polynomials)


def numerical_der(f, w):
    return (f(w + H) - f(w - H)) / (2 * H)


@pytest.mark.parametrize("name", list(LOSSES))
def test_derivative_matches_central_difference(name):
    loss = LOSSES[name]
    w = np.linspace(*loss.domain, 41)
    np.testing.assert_allclose(loss.der(w), numerical_der(loss.value, w), atol=TOL, rtol=1e-7)


@pytest.mark.parametrize("name", list(LOSSES))
def test_minima_are_minima(name):
    loss = LOSSES[name]
    for m in loss.minima:
        assert loss.der(m) == pytest.approx(0.0, abs=1e-12)  # checks: L′(m) = 0
        assert loss.value(m - 1e-3) > loss.value(m) < loss.value(m + 1e-3)  # checks: lower than both neighbours
    assert loss.global_minimum in loss.minima
    assert loss.value(loss.global_minimum) == min(loss.value(m) for m in loss.minima)
    # checks: no other minimum on the plotted domain (sample the curve densely)
    w = np.linspace(*loss.domain, 20001)
    v = loss.value(w)
    inner = np.where((v[1:-1] < v[:-2]) & (v[1:-1] < v[2:]))[0] + 1
    assert len(inner) == len(loss.minima)


def test_two_minima_has_a_local_and_a_global_minimum():
    loss = LOSSES["two_minima"]
    assert loss.minima == (-2.0, 1.0)
    assert loss.value(-2.0) == pytest.approx(1 / 3)  # global
    assert loss.value(1.0) == pytest.approx(31 / 12)  # local, higher


def test_lecture_loss_is_4w_squared():
    loss = LOSSES["lecture"]
    assert loss.value(1.0) == 4.0 and loss.der(1.0) == 8.0


def test_three_variable_loss_at_the_lecture_point():
    p = losses.LECTURE_POINT  # (w₁, w₂, b₁) = (1, −1, 2)
    assert three_loss(**p) == 4.0  # (2 + 2 + 1 − 3)² = 2²
    assert three_gradient(**p) == {"w1": 8.0, "w2": -4.0, "b1": 4.0}


def test_three_variable_gradient_matches_central_differences():
    rng = np.random.default_rng(0)
    for _ in range(5):
        p = dict(zip(losses.THREE_VARIABLES, rng.uniform(-3, 3, 3)))
        g = three_gradient(**p)
        for v in losses.THREE_VARIABLES:
            up, down = dict(p), dict(p)
            up[v] += H
            down[v] -= H
            num = (three_loss(**up) - three_loss(**down)) / (2 * H)
            assert g[v] == pytest.approx(num, abs=TOL), v  # checks: ∂L/∂v one variable at a time


def test_slices_are_the_partial_derivatives():
    p = losses.LECTURE_POINT
    s = three_slice(p, "w1")
    # holding w₂ = −1, b₁ = 2: L(w₁) = (2w₁ + 0)² = 4w₁², the one-parameter lecture loss
    assert (s.coefficient, s.offset) == (2.0, 0.0)
    for v in losses.THREE_VARIABLES:
        s = three_slice(p, v)
        assert s.value(s.at) == three_loss(**p)
        assert s.der(s.at) == three_gradient(**p)[v]
