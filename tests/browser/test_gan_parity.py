"""static/js/gan.js in the real Chromium against its Python twin app/nn/gan.py: from the same seed,
the same real points and noise, the same losses step by step and the same weights of G and D after
k rounds of D steps and G steps (float64 on both sides, to 1e-9 relative), the same push arrows;
and training on the ring in the browser brings the fakes onto the modes."""

import numpy as np
import pytest

from app.nn.gan import Gan, quality, ring_modes_covered, sample_noise, sample_real
from app.nn.mlp import Mulberry32
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

REL = 1e-9
DRAWN = [(-0.5, 0.5), (0.5, 0.5), (0.0, -0.5), (0.25, 0.1)]


@pytest.fixture
def gan_page(page):
    page.set_content("<!doctype html><title>gan.js</title>")
    page.add_script_tag(path=str(ROOT / "static" / "js" / "nn.js"))
    page.add_script_tag(path=str(ROOT / "static" / "js" / "gan.js"))
    return page


@pytest.mark.parametrize("dist", ["ring", "line", "clusters", "drawn"])
def test_same_real_points_and_noise(gan_page, dist):
    js = gan_page.evaluate("""([dist, drawn]) => {
        const r = NN.mulberry32(5);
        return {real: GAN.sampleReal(dist, 50, r, drawn).map(p => Array.from(p)),
                noise: GAN.sampleNoise(20, r).map(p => Array.from(p))};
    }""", [dist, DRAWN])
    rng = Mulberry32(5)
    real, noise = sample_real(dist, 50, rng, DRAWN), sample_noise(20, rng)
    assert np.allclose(js["real"], real, rtol=0, atol=1e-14)  # Box–Muller's log and cos, within a few ulps
    assert js["noise"] == noise.tolist()  # uniform noise: exactly


CASES = [  # distribution, optimizer, η_D, η_G, D steps per G step, rounds, seed
    ("ring", "adam", 0.01, 0.01, 1, 40, 1),
    ("clusters", "sgd", 0.1, 0.05, 2, 30, 7),
    ("drawn", "adam", 0.003, 0.02, 3, 20, 12),
    ("line", "sgd", 0.3, 0.3, 1, 40, 2),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-k{c[4]}")
def test_same_losses_and_weights_after_k_rounds(gan_page, case):
    dist, opt, d_eta, g_eta, k, rounds, seed = case
    gan = Gan(dist=dist, seed=seed, optimizer=opt, drawn=DRAWN)
    py = []
    for _ in range(rounds):
        for _ in range(k):
            py.append(gan.d_step(d_eta))
        py.append(gan.g_step(g_eta))
    probe = sample_real(dist, 6, Mulberry32(3), DRAWN)
    js = gan_page.evaluate("""([dist, opt, dEta, gEta, k, rounds, seed, drawn, probe]) => {
        const gan = new GAN.Gan({dist: dist, seed: seed, optimizer: opt, drawn: drawn});
        const out = [];
        for (let r = 0; r < rounds; r++) {
            for (let i = 0; i < k; i++) out.push(gan.dStep(dEta));
            out.push(gan.gStep(gEta));
        }
        return {steps: out, G: gan.G.weights(), D: gan.D.weights(), push: gan.push(probe),
                belief: gan.belief(probe), dSteps: gan.dSteps, gSteps: gan.gSteps};
    }""", [dist, opt, d_eta, g_eta, k, rounds, seed, DRAWN, probe.tolist()])
    assert (js["dSteps"], js["gSteps"]) == (gan.d_steps, gan.g_steps) == (rounds * k, rounds)
    for a, b in zip(js["steps"], py):  # each step's loss and D's mean beliefs, in order
        assert a == pytest.approx(b, rel=REL)
    worst = 0.0
    for name in ("G", "D"):
        for a, b in zip(js[name], getattr(gan, name).weights()):
            assert np.allclose(a["W"], b["W"], rtol=REL, atol=1e-12) and np.allclose(a["b"], b["b"], rtol=REL, atol=1e-12)
            worst = max(worst, float(np.max(np.abs(np.subtract(a["W"], b["W"])))))
    print(f"gan.js vs gan.py, {dist} {opt} k={k}, {rounds} rounds: largest weight difference {worst:.1e}")
    assert np.allclose(js["push"], gan.push(probe), rtol=REL, atol=1e-12)  # the arrows
    assert np.allclose(js["belief"], gan.belief(probe), rtol=REL)


def test_training_on_the_ring_in_the_browser(gan_page):
    """1500 rounds in Chromium: the fakes move onto the ring's 8 modes and D is left guessing."""
    Z, real = sample_noise(500, Mulberry32(99)), sample_real("ring", 500, Mulberry32(98))
    js = gan_page.evaluate("""([Z, real]) => {
        const gan = new GAN.Gan({dist: "ring", seed: 1});
        const before = GAN.quality(gan.generate(Z), real), t0 = performance.now();
        let d;
        for (let r = 0; r < 1500; r++) { d = gan.dStep(0.003); gan.gStep(0.003); }
        const ms = performance.now() - t0, fake = gan.generate(Z).map(p => Array.from(p));
        const b = gan.belief(real.concat(fake));
        return {before, after: GAN.quality(fake, real), fake, ms, last: d,
                verdict: GAN.verdict(d.real, d.fake, 3000),
                accuracy: (b.slice(0, 500).filter(p => p > 0.5).length + b.slice(500).filter(p => p < 0.5).length) / 1000};
    }""", [Z.tolist(), real.tolist()])
    fake = np.array(js["fake"])
    print(f"ring in Chromium: fake→real {js['before']['fakeToReal']:.3f} → {js['after']['fakeToReal']:.3f}, "
          f"real→fake {js['before']['realToFake']:.3f} → {js['after']['realToFake']:.3f}, "
          f"modes {ring_modes_covered(fake)}, D accuracy {js['accuracy']:.2f}, "
          f"{3000 / js['ms'] * 1000:.0f} steps/s without drawing")
    assert js["after"]["fakeToReal"] < js["before"]["fakeToReal"] / 3 and js["after"]["fakeToReal"] < 0.08
    assert js["after"]["realToFake"] < 0.08 and ring_modes_covered(fake) >= 7
    assert 0.4 <= js["accuracy"] <= 0.7
    assert js["verdict"] in ("even", "close")
    py = quality(fake, real)  # the JS measure is the Python one
    assert js["after"]["fakeToReal"] == pytest.approx(py["fake_to_real"], rel=1e-12)
