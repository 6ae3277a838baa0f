"""static/js/nn.js in the real Chromium against its Python twin app/nn/mlp.py: from the same seed
and data, the same PRNG numbers (exactly), and the same weights and losses after N steps of
mini-batch SGD with L2 (to 1e-9 relative, float64 on both sides)."""


import numpy as np
import pytest

from app.nn.mlp import MLP, Mulberry32, Trainer
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

NN_JS = ROOT / "static" / "js" / "nn.js"
REL = 1e-9


@pytest.fixture
def nn_page(page):
    page.set_content("<!doctype html><title>nn.js</title>")
    page.add_script_tag(path=str(NN_JS))
    return page


def test_the_prng_is_the_same_bit_for_bit(nn_page):
    js = nn_page.evaluate("() => { const r = NN.mulberry32(12345); return Array.from({length: 500}, r); }")
    rng = Mulberry32(12345)
    assert js == [rng.next() for _ in range(500)]  # exact equality


CASES = [  # sizes, activations, loss, batch size, η, λ, steps
    ([2, 5, 3, 1], ["tanh", "relu", "linear"], "logistic", 7, 0.3, 0.01, 60),
    ([1, 16, 1], ["relu", "linear"], "mse", 25, 0.05, 0.0, 80),
    ([3, 4, 2], ["sigmoid", "tanh"], "mse", 1, 0.2, 0.001, 50),
    ([6, 8, 8, 8, 1], ["tanh", "tanh", "relu", "linear"], "logistic", 10, 0.1, 0.003, 40),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c[0])) + "-" + c[2])
def test_same_weights_and_losses_after_n_steps(nn_page, case):
    sizes, acts, loss, batch, eta, lam, steps = case
    rng = np.random.default_rng(sum(sizes))
    X = rng.normal(size=(33, sizes[0]))
    T = (rng.random((33, sizes[-1])) > 0.5) * 1.0 if loss == "logistic" else np.sin(X[:, :sizes[-1]])
    net = MLP(sizes, acts, seed=7, bias_scale=0.5)
    start = net.weights()
    tr = Trainer(net, X, T, loss=loss, batch_size=batch, seed=11)
    py_losses = [tr.step(eta, lam) for _ in range(steps)]
    js = nn_page.evaluate("""([sizes, acts, loss, batch, eta, lam, steps, X, T]) => {
        const net = NN.mlp(sizes, acts, {seed: 7, biasScale: 0.5});
        const start = net.weights();
        const tr = NN.trainer(net, X, T, {loss: loss, batchSize: batch, seed: 11});
        const losses = [];
        for (let i = 0; i < steps; i++) losses.push(tr.step(eta, lam));
        const dX = net.backward(NN.LOSSES[loss].grad(net.forward(X.slice(0, 3)), T.slice(0, 3)));
        return {start, losses, weights: net.weights(), full: tr.loss(), epochs: tr.epochs,
                dX: dX.map(r => Array.from(r))};
    }""", [sizes, acts, loss, batch, eta, lam, steps, X.tolist(), T.tolist()])
    for a, b in zip(js["start"], start):  # the same initial weights, exactly
        assert a["W"] == b["W"] and a["b"] == b["b"]
    assert js["losses"] == pytest.approx(py_losses, rel=REL)  # each batch's loss, step by step
    worst = max(float(np.max(np.abs(np.subtract(a["W"], b["W"])) / np.maximum(np.abs(b["W"]), 1e-12)))
                for a, b in zip(js["weights"], net.weights()))
    print(f"nn.js vs mlp.py after {steps} steps: largest relative weight difference {worst:.1e}")
    for a, b in zip(js["weights"], net.weights()):
        assert np.allclose(a["W"], b["W"], rtol=REL, atol=1e-12) and np.allclose(a["b"], b["b"], rtol=REL, atol=1e-12)
    assert js["full"] == pytest.approx(tr.loss(), rel=REL) and js["epochs"] == tr.epochs
    for layer in net.layers:  # dL/dX of a fresh batch, for chaining networks (a GAN's G into D)
        layer.gW[:] = 0
        layer.gb[:] = 0
    dX = net.backward(tr.grad(net.forward(X[:3]), T[:3]))
    assert np.allclose(js["dX"], dX, rtol=REL, atol=1e-14)
    assert np.isfinite(js["losses"]).all()  # it trained: plain numbers, no NaN
