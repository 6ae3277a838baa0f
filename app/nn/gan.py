"""A GAN in the plane (slides 77–82, after poloclub's GAN Lab): the Python twin of static/js/gan.js.

Two small networks play against each other on points in [−1, 1]²:

    G: noise z ∈ [−1, 1]² → MLP → a fake point x = G(z)
    D: a point x → MLP → a logit y; D(x) = σ(y) is D's belief that x is real

D's step (binary cross-entropy on a batch of n real and n fake points, fakes labelled 0):
    L_D = −½·[mean log D(x_real) + mean log(1 − D(G(z)))]
G's step (the non-saturating loss of Goodfellow et al. 2014: G wants D to say "real"):
    L_G = −mean log D(G(z))
and its gradient reaches G's weights through D, by the chain rule: ∂L_G/∂x = D's backward pass
to its input, then G's backward pass from there. D's weights do not change in G's step.

Same PRNG (mulberry32), same draws in the same order, same initialisation and updates as gan.js,
so one seed gives the same losses and weights in the browser and here
(tests/browser/test_gan_parity.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from app.nn.activations import get_activation
from app.nn.mlp import MLP, Mulberry32, logistic, logistic_grad

sigmoid = get_activation("sigmoid").output

DISTRIBUTIONS = ("ring", "line", "clusters", "drawn")
OPTIMIZERS = ("adam", "sgd")
NOISE_DIM = 2
HIDDEN = (16, 16)  # neurons in each hidden layer of G and of D
G_ACTIVATION = "tanh"  # a smooth map from noise to points: it fills clouds better than ReLU's folds
D_ACTIVATION = "relu"
ETA = 0.003  # the page's learning rate for both (Adam): stable on all three distributions
BATCH = 64  # real points and fake points per step
ADAM_BETA1 = 0.5  # the GAN habit since DCGAN: less momentum than Adam's usual 0.9
RING_MODES, RING_RADIUS, RING_SIGMA = 8, 0.6, 0.04
LINE_SIGMA = 0.02
CLUSTERS = ((-0.45, 0.35), (0.45, -0.35))
CLUSTER_SIGMA = 0.12
DRAWN_SIGMA = 0.02


def gaussian(rng: Mulberry32) -> float:
    """One standard normal number (Box–Muller, from two uniform draws)."""
    u1, u2 = 1.0 - rng.next(), rng.next()  # u1 ∈ (0, 1]: log(u1) is finite
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def sample_real(dist: str, n: int, rng: Mulberry32, drawn: list[tuple[float, float]] | None = None) -> np.ndarray:
    """n points of the real distribution, as an (n, 2) array."""
    out = np.zeros((n, 2))
    for i in range(n):
        if dist == "ring":  # 8 Gaussians on a circle
            k = math.floor(rng.next() * RING_MODES)
            angle = 2.0 * math.pi * k / RING_MODES
            cx, cy, s = RING_RADIUS * math.cos(angle), RING_RADIUS * math.sin(angle), RING_SIGMA
        elif dist == "line":  # a segment y = x/2, −0.7 ≤ x ≤ 0.7
            t = 0.7 * (2.0 * rng.next() - 1.0)
            cx, cy, s = t, 0.5 * t, LINE_SIGMA
        elif dist == "clusters":  # two round clouds
            cx, cy = CLUSTERS[math.floor(rng.next() * len(CLUSTERS))]
            s = CLUSTER_SIGMA
        elif dist == "drawn":  # the learner's points, each blurred a little
            if not drawn:
                raise ValueError("a drawn distribution needs points")
            cx, cy = drawn[math.floor(rng.next() * len(drawn))]
            s = DRAWN_SIGMA
        else:
            raise ValueError(f"unknown distribution {dist!r}")
        out[i, 0] = cx + s * gaussian(rng)
        out[i, 1] = cy + s * gaussian(rng)
    return out


def sample_noise(n: int, rng: Mulberry32) -> np.ndarray:
    """G's input: n points uniform in [−1, 1]²."""
    return np.array([[2.0 * rng.next() - 1.0 for _ in range(NOISE_DIM)] for _ in range(n)]).reshape(n, NOISE_DIM)


def sigmoid_mean(Y: np.ndarray) -> float:
    return float(np.mean(sigmoid(Y)))


@dataclass
class Gan:
    """G and D with their own seeds, and one PRNG for the batches (real points, then noise)."""

    dist: str = "ring"
    seed: int = 1
    optimizer: str = "adam"
    drawn: list[tuple[float, float]] | None = None
    batch: int = BATCH
    G: MLP = field(init=False)
    D: MLP = field(init=False)
    rng: Mulberry32 = field(init=False)
    d_steps: int = field(init=False, default=0)
    g_steps: int = field(init=False, default=0)

    def __post_init__(self):
        self.G = MLP([NOISE_DIM, *HIDDEN, 2], [G_ACTIVATION] * len(HIDDEN) + ["linear"], seed=self.seed)
        self.D = MLP([2, *HIDDEN, 1], [D_ACTIVATION] * len(HIDDEN) + ["linear"], seed=self.seed + 1)
        self.rng = Mulberry32(self.seed + 2)

    def _apply(self, net: MLP, eta: float) -> None:
        if self.optimizer == "adam":
            net.apply_adam(eta, beta1=ADAM_BETA1)
        else:
            net.apply_gradients(eta)

    def d_step(self, eta: float) -> dict:
        """One step of D on n real and n fresh fake points; the numbers are from before the step."""
        real = sample_real(self.dist, self.batch, self.rng, self.drawn)
        fake = self.G.forward(sample_noise(self.batch, self.rng))
        T = np.concatenate([np.ones((self.batch, 1)), np.zeros((self.batch, 1))])
        Y = self.D.forward(np.concatenate([real, fake]))
        loss = logistic(Y, T)  # = L_D: the batch holds as many real points as fakes
        self.D.backward(logistic_grad(Y, T))
        self._apply(self.D, eta)
        self.d_steps += 1
        return {"loss": loss, "real": sigmoid_mean(Y[:self.batch]), "fake": sigmoid_mean(Y[self.batch:])}

    def g_step(self, eta: float) -> dict:
        """One step of G: fresh noise → fakes → D; ∂L_G/∂x back through D into G."""
        fake = self.G.forward(sample_noise(self.batch, self.rng))
        Y = self.D.forward(fake)
        ones = np.ones_like(Y)
        loss = logistic(Y, ones)  # = L_G = mean softplus(−y) = −mean log D(G(z))
        dX = self.D.backward(logistic_grad(Y, ones))
        self.D.zero_gradients()  # D only passes the gradient on
        self.G.backward(dX)
        self._apply(self.G, eta)
        self.g_steps += 1
        return {"loss": loss, "fake": sigmoid_mean(Y)}

    def generate(self, z: np.ndarray) -> np.ndarray:
        return self.G.forward(z)

    def belief(self, X: np.ndarray) -> np.ndarray:
        """D(x) = σ(y) for each point: the probability D gives to "real"."""
        return sigmoid(self.D.forward(X)[:, 0])

    def push(self, X: np.ndarray) -> np.ndarray:
        """For each fake point x, −∂L_G/∂x for that point alone = σ(−y)·∇ₓy: where G's step
        pushes it (uphill on D's belief)."""
        Y = self.D.forward(X)
        dX = self.D.backward(-sigmoid(-Y))  # d softplus(−y)/dy = −σ(−y)
        self.D.zero_gradients()
        return -dX


def nearest_distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """For each point of A, the distance to the nearest point of B."""
    d2 = ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2)
    return np.sqrt(d2.min(axis=1))


def quality(fake: np.ndarray, real: np.ndarray) -> dict:
    """How close the fakes are to the real points: fake→real is the mean distance of a fake to
    the nearest real point (are the fakes where real points are?), real→fake the mean distance of
    a real point to the nearest fake (is every part of the real distribution covered? — a
    generator that collapses onto one mode has a small fake→real and a large real→fake)."""
    return {"fake_to_real": float(nearest_distances(fake, real).mean()),
            "real_to_fake": float(nearest_distances(real, fake).mean())}


def ring_modes_covered(fake: np.ndarray, within: float = 3 * RING_SIGMA, at_least: int = 5) -> int:
    """How many of the ring's 8 modes have at least `at_least` fakes within `within` of the centre."""
    angles = 2 * math.pi * np.arange(RING_MODES) / RING_MODES
    centres = RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    d = np.sqrt(((fake[:, None, :] - centres[None]) ** 2).sum(axis=2))
    return int(((d < within).sum(axis=0) >= at_least).sum())
