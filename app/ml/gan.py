"""A conditional GAN that writes digits (slides 77–82): a generator G(z, digit) → 28×28 image and a
discriminator D(image, digit) → "real?" play against each other.

    D learns:  real MNIST digits → 1, G's fakes → 0
    G learns:  make D say 1 for its fakes (through D, whose weights stay still for that step)

Pure Keras 3 with no backend-specific code: each side is a compiled model trained with
`train_on_batch`, and G is trained through `combined = D′(G(z, digit), digit)` where D′ is a frozen
copy of D (see build_gan), so the same code trains on TensorFlow, JAX or PyTorch. Images are in −1…1 (tanh) while training and 0–255 (white on black) outside.
"""

from __future__ import annotations

import io
from typing import Callable

import numpy as np

LATENT_DIM = 64
LEARNING_RATE = 2e-4
BATCH_SIZE = 128
GRID_PER_DIGIT = 8  # the sample grid: one row per digit, this many columns


def build_generator(latent_dim: int = LATENT_DIM):
    """(z, digit) → a 28×28 image in −1…1."""
    import keras
    from keras import layers

    z = keras.Input((latent_dim,), name="z")
    digit = keras.Input((1,), dtype="int32", name="digit")
    d = layers.Flatten()(layers.Embedding(10, 16, embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0))(digit))
    h = layers.Concatenate()([z, d])
    for units in (256, 512):
        h = layers.LeakyReLU(0.2)(layers.Dense(units)(h))
    image = layers.Reshape((28, 28))(layers.Dense(28 * 28, activation="tanh")(h))
    return keras.Model([z, digit], image, name="generator")


def generator_parameters(latent_dim: int = LATENT_DIM) -> int:
    """The generator's weights: the digit table 10×16, then Dense 256, 512 and 784 (W and b each)."""
    sizes = [latent_dim + 16, 256, 512, 28 * 28]
    return 10 * 16 + sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def build_discriminator():
    """(image, digit) → the probability that the image is a real digit of that kind."""
    import keras
    from keras import layers

    image = keras.Input((28, 28), name="image")
    digit = keras.Input((1,), dtype="int32", name="digit")
    d = layers.Flatten()(layers.Embedding(10, 16, embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0))(digit))
    h = layers.Concatenate()([layers.Flatten()(image), d])
    for units in (512, 256):
        h = layers.Dropout(0.3)(layers.LeakyReLU(0.2)(layers.Dense(units)(h)))
    return keras.Model([image, digit], layers.Dense(1, activation="sigmoid")(h), name="discriminator")


def build_gan(latent_dim: int = LATENT_DIM, learning_rate: float = LEARNING_RATE):
    """(generator, discriminator, combined, judge), compiled for train_on_batch.

    `judge` is a second discriminator, never trainable, inside `combined`: before each G step it
    gets D's current weights, so G learns against today's D while D itself is never changed by
    G's step (no flipping of `trainable`, which Keras 3 backends honour differently)."""
    import keras

    generator, discriminator, judge = build_generator(latent_dim), build_discriminator(), build_discriminator()
    discriminator.compile(optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5), loss="binary_crossentropy")
    judge.trainable = False
    z = keras.Input((latent_dim,))
    digit = keras.Input((1,), dtype="int32")
    combined = keras.Model([z, digit], judge([generator([z, digit]), digit]), name="gan")
    combined.compile(optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5), loss="binary_crossentropy")
    return generator, discriminator, combined, judge


def to_tanh(images: np.ndarray) -> np.ndarray:
    """uint8 0–255 → float32 −1…1."""
    return images.astype(np.float32) / 127.5 - 1.0


def to_uint8(images: np.ndarray) -> np.ndarray:
    return np.clip(np.round((np.asarray(images) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def train(x: np.ndarray, y: np.ndarray, epochs: int, seed: int = 0, batch_size: int = BATCH_SIZE,
          latent_dim: int = LATENT_DIM, learning_rate: float = LEARNING_RATE,
          on_epoch: Callable[[int, dict, object], None] | None = None,
          on_batch: Callable[[float, dict], bool] | None = None):
    """Alternate one D step (half real, half fake, smoothed real labels 0.9) and one G step per
    batch. on_epoch(epoch, logs, generator) after each epoch; on_batch(x, logs) may return True
    to stop. Returns the generator."""
    import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    generator, discriminator, combined, judge = build_gan(latent_dim, learning_rate)
    images, labels = to_tanh(x), y.astype(np.int32).reshape(-1, 1)
    steps = len(images) // batch_size
    real, fake = np.full((batch_size, 1), 0.9, np.float32), np.zeros((batch_size, 1), np.float32)
    ones = np.ones((batch_size, 1), np.float32)
    for epoch in range(epochs):
        order = rng.permutation(len(images))
        d_sum = g_sum = 0.0
        for step in range(steps):
            idx = order[step * batch_size:(step + 1) * batch_size]
            z = rng.standard_normal((batch_size, latent_dim)).astype(np.float32)
            wanted = rng.integers(0, 10, (batch_size, 1)).astype(np.int32)
            fakes = generator.predict_on_batch([z, wanted])
            d_loss = float(discriminator.train_on_batch([images[idx], labels[idx]], real)) / 2
            d_loss += float(discriminator.train_on_batch([fakes, wanted], fake)) / 2
            for mine, theirs in zip(judge.weights, discriminator.weights):  # on the device, no copy to numpy
                mine.assign(theirs.value)
            g_loss = float(combined.train_on_batch([z, wanted], ones))
            d_sum, g_sum = d_sum + d_loss, g_sum + g_loss
            if on_batch and step % 50 == 49 and on_batch(epoch + (step + 1) / steps, {"d_loss": d_loss, "g_loss": g_loss}):
                return generator
        if on_epoch:
            on_epoch(epoch + 1, {"d_loss": d_sum / steps, "g_loss": g_sum / steps}, generator)
    return generator


def generate(generator, digit: int, count: int, seed: int = 0, latent_dim: int | None = None) -> np.ndarray:
    """count images of `digit` as uint8 (count, 28, 28), white on black as in MNIST."""
    latent_dim = latent_dim or generator.inputs[0].shape[-1]
    z = np.random.default_rng(seed).standard_normal((count, latent_dim)).astype(np.float32)
    digits = np.full((count, 1), digit, np.int32)
    return to_uint8(generator.predict_on_batch([z, digits]))


def sample_grid(generator, per_digit: int = GRID_PER_DIGIT, seed: int = 0) -> np.ndarray:
    """One row per digit 0–9, per_digit columns: uint8 (10·28, per_digit·28). Same z every epoch."""
    rows = [np.concatenate(list(generate(generator, d, per_digit, seed + d)), axis=1) for d in range(10)]
    return np.concatenate(rows, axis=0)


def png_bytes(image: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(image, mode="L").save(out, format="PNG", optimize=True)
    return out.getvalue()


# ---- the generator without Keras: what the web process runs (no TensorFlow in the server) ------
def generator_weights(generator) -> dict[str, np.ndarray]:
    """The generator's numbers by layer: the embedding table and each Dense's W and b."""
    import keras

    out: dict[str, np.ndarray] = {}
    dense = [layer for layer in generator.layers if isinstance(layer, keras.layers.Dense)]
    out["embedding"] = np.asarray(next(la for la in generator.layers if isinstance(la, keras.layers.Embedding)).get_weights()[0])
    for k, layer in enumerate(dense):
        w, b = layer.get_weights()
        out[f"w{k}"], out[f"b{k}"] = np.asarray(w), np.asarray(b)
    return out


def npz_bytes(weights: dict[str, np.ndarray]) -> bytes:
    out = io.BytesIO()
    np.savez_compressed(out, **weights)
    return out.getvalue()


def numpy_generate(weights, digit: int, count: int, seed: int = 0) -> np.ndarray:
    """The same forward pass as build_generator, in numpy: h = LeakyReLU(W·[z, e(digit)] + b)…,
    image = tanh(W·h + b). uint8 (count, 28, 28)."""
    latent_dim = weights["w0"].shape[0] - weights["embedding"].shape[1]
    z = np.random.default_rng(seed).standard_normal((count, latent_dim)).astype(np.float32)
    h = np.concatenate([z, np.repeat(weights["embedding"][digit][None, :], count, axis=0)], axis=1)
    n_dense = sum(1 for k in weights if k.startswith("w"))
    for k in range(n_dense):
        h = h @ weights[f"w{k}"] + weights[f"b{k}"]
        h = np.tanh(h) if k == n_dense - 1 else np.where(h > 0, h, 0.2 * h)  # LeakyReLU(0.2)
    return to_uint8(h.reshape(count, 28, 28))
