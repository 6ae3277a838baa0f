"""The default digit CNN opened up: what every layer makes of one 28×28 picture.

    inside = CnnInside.load(path_of("digits-cnn.keras"))
    layers = inside.run(picture)        # [Layer(name="conv1", kind="Conv2D", values=(28, 28, 16)), …]
    kernels, biases = inside.filters("conv1")   # (3, 3, 1, 16), (16,)

A Keras functional model over the same layers returns every layer's output in one call (pure
Keras 3; `predict_on_batch` runs a compiled graph: a few milliseconds on a CPU). Load it once
per process — the lab keeps it on app.state — never per request.

Pictures as images: `map_png` turns one feature map into a small PNG (one pixel per number);
the page enlarges it with `image-rendering: pixelated`, so the squares stay sharp on a projector.
"""

from __future__ import annotations

import base64
import io
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Layer:
    name: str  # conv1, pool1, …, dense1, output — the names app/ml/networks.py gives them
    kind: str  # Conv2D, MaxPooling2D, Flatten, Dense
    values: np.ndarray  # this layer's output for one picture: (h, w, channels) or (units,)

    @property
    def is_map(self) -> bool:
        return self.values.ndim == 3


class CnnInside:
    """A trained Keras CNN and a second model that outputs every layer at once."""

    def __init__(self, model):
        import keras

        self.model = model
        self.layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        self.probe = keras.Model(inputs=model.inputs, outputs=[layer.output for layer in self.layers], name="probe")
        self.input_shape = tuple(int(d) for d in model.inputs[0].shape[1:])
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path) -> CnnInside:
        import keras

        return cls(keras.saving.load_model(path, compile=False))

    def run(self, picture: np.ndarray) -> list[Layer]:
        """One picture (28, 28) in 0–1 → every layer's output, input first."""
        x = np.asarray(picture, dtype=np.float32).reshape((1, *self.input_shape))
        with self._lock:  # one compiled graph; calls are a few ms, so queueing them is cheap
            outputs = self.probe.predict_on_batch(x)
        layers = [Layer("input", "Input", x[0])]
        for layer, out in zip(self.layers, outputs):
            layers.append(Layer(layer.name, type(layer).__name__, np.asarray(out[0], dtype=np.float32)))
        return layers

    def filters(self, name: str = "conv1") -> tuple[np.ndarray, np.ndarray]:
        """A convolution layer's learned weights: kernels (kh, kw, in, out) and biases (out,)."""
        kernel, bias = self.model.get_layer(name).get_weights()
        return np.asarray(kernel), np.asarray(bias)


# ---- pictures of numbers -------------------------------------------------------------------

# Dark → bright, like the "magma" colour map: a strong response is a bright square, on paper or a projector.
_STOPS = np.array([[12, 8, 38], [84, 28, 120], [181, 54, 122], [251, 135, 97], [252, 253, 191]], dtype=np.float32)
# Negative → blue, zero → white, positive → red: for filter weights, which have a sign.
_DIVERGING = np.array([[33, 102, 172], [247, 247, 247], [178, 24, 43]], dtype=np.float32)


def _colour(t: np.ndarray, stops: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0) * (len(stops) - 1)
    low = np.minimum(np.floor(t).astype(int), len(stops) - 2)
    frac = (t - low)[..., None]
    return (stops[low] * (1 - frac) + stops[low + 1] * frac).astype(np.uint8)


def _png(rgb: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(rgb, mode="RGB").save(buffer, format="PNG", optimize=False, compress_level=9)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def map_png(values: np.ndarray, top: float) -> str:
    """A 2-D map of activations ≥ 0 as a PNG data URL, `top` being the brightest value."""
    return _png(_colour(np.asarray(values, dtype=np.float32) / top if top > 0 else np.zeros_like(values), _STOPS))


def weights_png(values: np.ndarray, top: float) -> str:
    """Signed weights as a PNG data URL: blue negative, white 0, red positive; ±top at the ends."""
    v = np.asarray(values, dtype=np.float32)
    return _png(_colour((v / top + 1) / 2 if top > 0 else np.full_like(v, 0.5), _DIVERGING))


def ink_png(picture: np.ndarray) -> str:
    """The 28×28 input as the network sees it: white paper, black ink."""
    grey = (255 - np.clip(np.asarray(picture) * 255, 0, 255)).astype(np.uint8)
    return _png(np.stack([grey] * 3, axis=-1))
