"""MNIST: 70 000 handwritten digits, 28×28 grey pixels (0 = paper, 255 = ink), labels 0–9.

A local copy in the Keras layout (`<assets>/datasets/mnist.npz`) is used when configured —
tests, CI and offline classrooms; otherwise Keras downloads it once for a real user.
The test split is for measuring only: never train on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.settings import Settings

ASSET = "datasets/mnist.npz"


@dataclass(frozen=True)
class Mnist:
    x_train: np.ndarray  # (60000, 28, 28) uint8
    y_train: np.ndarray  # (60000,) uint8 digits
    x_test: np.ndarray  # (10000, 28, 28) uint8
    y_test: np.ndarray  # (10000,) uint8
    source: str = "keras.datasets.mnist"


def load_mnist(settings: Settings) -> Mnist:
    """(x_train, y_train, x_test, y_test) as uint8 arrays, from the assets folder or a download."""
    local = settings.asset(ASSET)
    if local is not None:
        with np.load(local) as data:
            return Mnist(data["x_train"], data["y_train"], data["x_test"], data["y_test"], source=f"assets:{ASSET}")
    import keras

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return Mnist(x_train, y_train, x_test, y_test)


def as_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (n, 28, 28) → float32 (n, 28, 28, 1) in 0–1: what the networks take."""
    return (images.astype(np.float32) / 255.0)[..., None]


def one_hot(labels: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """7 → [0,0,0,0,0,0,0,1,0,0]: the answer written as the 10 probabilities we want."""
    return np.eye(num_classes, dtype=np.float32)[labels]
