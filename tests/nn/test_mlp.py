"""app/nn/mlp.py: gradients against finite differences, the PRNG, the trainer's order."""

import numpy as np
import pytest

from app.nn.mlp import MLP, Mulberry32, Trainer


def test_mulberry32_known_values():
    rng = Mulberry32(0)
    assert rng.next() == 1144304738 / 2**32  # mulberry32(0)'s first output, as JavaScript prints it
    a, b = Mulberry32(42), Mulberry32(42)
    seq = [a.next() for _ in range(1000)]
    assert seq == [b.next() for _ in range(1000)]  # seeded: the same sequence twice
    assert 0 <= min(seq) and max(seq) < 1 and abs(np.mean(seq) - 0.5) < 0.03  # roughly uniform


@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_backward_matches_finite_differences(act, loss):
    rng = np.random.default_rng(1)
    X, T = rng.normal(size=(6, 3)), (rng.random((6, 2)) > 0.5) * 1.0
    net = MLP([3, 4, 2], [act, "linear"], seed=3, bias_scale=0.5)
    tr = Trainer(net, X, T, loss)
    Y = net.forward(X)
    dX = net.backward(tr.grad(Y, T))
    eps = 1e-6
    for layer in net.layers:
        for idx in np.ndindex(layer.W.shape):
            old = layer.W[idx]
            layer.W[idx] = old + eps
            up = tr.value(net.forward(X), T)
            layer.W[idx] = old - eps
            down = tr.value(net.forward(X), T)
            layer.W[idx] = old
            assert layer.gW[idx] == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-8)  # ∂L/∂W
    for idx in np.ndindex(X.shape):
        Xp, Xm = X.copy(), X.copy()
        Xp[idx] += eps
        Xm[idx] -= eps
        numeric = (tr.value(net.forward(Xp), T) - tr.value(net.forward(Xm), T)) / (2 * eps)
        assert dX[idx] == pytest.approx(numeric, rel=1e-4, abs=1e-8)  # ∂L/∂X, for chaining networks


def test_l2_shrinks_the_weights_and_training_lowers_the_loss():
    X = np.linspace(-1, 1, 40)[:, None]
    T = X**2
    losses = {}
    for lam in (0.0, 0.1):
        net = MLP([1, 8, 1], ["tanh", "linear"], seed=0, bias_scale=1)
        tr = Trainer(net, X, T, "mse", batch_size=8, seed=0)
        first = tr.loss()
        for _ in range(500):
            tr.step(0.1, lam)
        losses[lam] = (first, tr.loss(), sum(float(np.sum(layer.W**2)) for layer in net.layers))
        assert tr.epochs == 99  # 500 steps of 8 rows out of 40: 5 steps an epoch
    assert losses[0.0][1] < losses[0.0][0] / 5  # it learns
    assert losses[0.1][2] < losses[0.0][2]  # λ keeps the weights smaller
