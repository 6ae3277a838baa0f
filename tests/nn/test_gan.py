"""app/nn/gan.py: the GAN's gradients against finite differences, Adam against its formula, and
training on the ring of 8 Gaussians brings the fakes onto all 8 modes with D left guessing."""

import math

import numpy as np
import pytest

from app.nn.gan import (DISTRIBUTIONS, ETA, RING_MODES, RING_RADIUS, Gan, quality, ring_modes_covered, sample_noise,
                        sample_real)
from app.nn.mlp import MLP, Mulberry32, logistic

EPS = 1e-6


def g_loss(gan: Gan, Z: np.ndarray) -> float:
    Y = gan.D.forward(gan.G.forward(Z))
    return logistic(Y, np.ones_like(Y))


def test_g_gradient_through_d_matches_finite_differences():
    """G's step backpropagates L_G through D into G: ∂L_G/∂W_G by the chain rule = by nudging W_G."""
    gan = Gan(seed=4, optimizer="sgd")
    Z = sample_noise(9, Mulberry32(3))
    Y = gan.D.forward(gan.G.forward(Z))
    dX = gan.D.backward((1 / (1 + np.exp(-Y)) - 1) / Y.size)
    gan.D.zero_gradients()
    gan.G.backward(dX)
    for layer in gan.G.layers:
        for idx in list(np.ndindex(layer.W.shape))[:12]:
            old = layer.W[idx]
            layer.W[idx] = old + EPS
            up = g_loss(gan, Z)
            layer.W[idx] = old - EPS
            down = g_loss(gan, Z)
            layer.W[idx] = old
            assert layer.gW[idx] == pytest.approx((up - down) / (2 * EPS), rel=1e-4, abs=1e-9)  # ∂L_G/∂W_G
    assert all(not layer.gW.any() for layer in gan.D.layers)  # D's gradients were dropped


def test_the_push_arrows_are_minus_the_gradient_of_each_points_loss():
    gan = Gan(seed=2)
    X = sample_real("clusters", 5, Mulberry32(1))
    push = gan.push(X)
    for i in range(len(X)):
        for j in range(2):
            up, down = X[i:i + 1].copy(), X[i:i + 1].copy()
            up[0, j] += EPS
            down[0, j] -= EPS
            loss = lambda P: float(np.log1p(np.exp(-gan.D.forward(P)[0, 0])))  # softplus(−y) = −log D(x)
            assert push[i, j] == pytest.approx(-(loss(up) - loss(down)) / (2 * EPS), rel=1e-4, abs=1e-9)


def test_d_step_lowers_d_loss_and_g_step_lowers_g_loss_on_the_same_batch():
    for opt, eta in (("sgd", 0.1), ("adam", 0.01)):
        gan = Gan(seed=5, optimizer=opt)
        rng_state = gan.rng.a
        before = gan.d_step(eta)["loss"]
        gan.rng.a = rng_state  # replay the same batch
        assert gan.d_step(0.0)["loss"] < before  # D's step went downhill on L_D
        rng_state = gan.rng.a
        before = gan.g_step(eta)["loss"]
        gan.rng.a = rng_state
        assert gan.g_step(0.0)["loss"] < before  # G's step went downhill on L_G


def test_adam_follows_its_formula():
    net = MLP([1, 1], ["linear"], seed=1)
    w0 = float(net.layers[0].W[0, 0])
    g = 0.3
    for t in (1, 2):
        net.layers[0].gW[0, 0] = g
        net.apply_adam(0.1, beta1=0.5, beta2=0.999)
    m = 0.5 * (0.5 * 0 + 0.5 * g) + 0.5 * g
    v = 0.999 * (0.001 * g * g) + 0.001 * g * g
    w1 = w0 - 0.1 * (0.5 * g / 0.5) / (math.sqrt(0.001 * g * g / 0.001) + 1e-8)
    assert net.layers[0].W[0, 0] == pytest.approx(w1 - 0.1 * (m / 0.75) / (math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8), rel=1e-12)
    assert not net.layers[0].gW.any()  # gradients start again from zero


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_the_real_distributions(dist):
    drawn = [(-0.5, 0.5), (0.5, 0.5), (0.0, -0.5)]
    X = sample_real(dist, 4000, Mulberry32(7), drawn)
    assert X.shape == (4000, 2) and np.abs(X).max() < 1  # inside the plane [−1, 1]²
    if dist == "ring":
        assert np.hypot(X[:, 0], X[:, 1]).mean() == pytest.approx(RING_RADIUS, abs=0.01)
        assert ring_modes_covered(X, at_least=400) == RING_MODES
    if dist == "line":
        assert np.abs(X[:, 1] - 0.5 * X[:, 0]).max() < 0.15
    if dist == "drawn":
        assert quality(X, np.array(drawn))["fake_to_real"] < 0.04


@pytest.mark.parametrize("seed", [1, 3])
def test_training_on_the_ring_covers_the_modes_and_leaves_d_guessing(seed):
    gan = Gan(dist="ring", seed=seed)
    Z, real = sample_noise(500, Mulberry32(99)), sample_real("ring", 500, Mulberry32(98))
    start = quality(gan.generate(Z), real)
    for _ in range(1500):  # the page's defaults: one D step per G step, η = 0.003 for both
        gan.d_step(ETA)
        gan.g_step(ETA)
    fake = gan.generate(Z)
    end = quality(fake, real)
    belief = gan.belief(np.concatenate([real, fake]))
    accuracy = ((belief[:500] > 0.5).mean() + (belief[500:] < 0.5).mean()) / 2
    print(f"ring seed {seed}: fake→real {start['fake_to_real']:.3f} → {end['fake_to_real']:.3f}, "
          f"real→fake {start['real_to_fake']:.3f} → {end['real_to_fake']:.3f}, modes {ring_modes_covered(fake)}, "
          f"D accuracy {accuracy:.2f}")
    assert end["fake_to_real"] < start["fake_to_real"] / 3 and end["fake_to_real"] < 0.08  # fakes on the ring
    assert end["real_to_fake"] < 0.08  # every part of the ring has fakes near it: no mode collapse
    assert ring_modes_covered(fake) >= 7
    assert 0.4 <= accuracy <= 0.7  # D can hardly tell real from fake any more
