"""Synthetic canvas drawings for measuring the digit lab: MNIST test digits redrawn the way
learners draw — at a random size and place on a 280×280 canvas, with a thinner or fatter pen,
in random colours on random paper, or on a transparent canvas — and encoded as PNG, JPEG or WebP.

    png, label = drawing(mnist.x_test[i], mnist.y_test[i], rng)

Used by the tests and by bench/digits.py; the networks never train on these.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

CANVAS = 280


def _pen(rng: np.random.Generator) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(ink colour, paper colour) with clear contrast: dark on light, or light on dark."""
    dark = tuple(int(v) for v in rng.integers(0, 90, 3))
    light = tuple(int(v) for v in rng.integers(170, 256, 3))
    return (dark, light) if rng.random() < 0.6 else (light, dark)


def drawing(digit: np.ndarray, label: int, rng: np.random.Generator, canvas: int = CANVAS,
            min_size: int = 50, max_size: int = 260, fmt: str | None = None) -> tuple[bytes, int]:
    """One MNIST digit (28×28 uint8) redrawn on a canvas; returns (encoded image, label)."""
    ink = digit.astype(np.float32) / 255.0
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.1), np.flatnonzero(ink.max(axis=0) > 0.1)
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height = int(rng.integers(min_size, max_size + 1))  # the digit's height on the canvas
    width = max(4, int(round(ink.shape[1] * height / ink.shape[0])))
    if width > canvas - 4:
        height, width = int(height * (canvas - 4) / width), canvas - 4
    big = np.asarray(Image.fromarray(ink, mode="F").resize((width, height), Image.Resampling.BILINEAR))
    # A pen of another width: a lower threshold draws fatter strokes, a higher one thinner.
    threshold = float(rng.uniform(0.15, 0.6))
    big = np.clip((big - threshold) / 0.12 + 0.5, 0.0, 1.0)
    alpha = np.zeros((canvas, canvas), dtype=np.float32)
    top, left = int(rng.integers(0, canvas - height + 1)), int(rng.integers(0, canvas - width + 1))
    alpha[top : top + height, left : left + width] = big

    fmt = fmt or str(rng.choice(["png", "png", "transparent", "jpeg", "webp"]))
    ink_rgb, paper_rgb = _pen(rng)
    if fmt == "transparent":  # canvas.toBlob() of a canvas that was never filled
        rgba = np.zeros((canvas, canvas, 4), dtype=np.uint8)
        rgba[..., :3] = ink_rgb
        rgba[..., 3] = np.rint(alpha * 255)
        image, fmt = Image.fromarray(rgba, mode="RGBA"), "png"
    else:
        a = alpha[..., None]
        rgb = a * np.array(ink_rgb, np.float32) + (1 - a) * np.array(paper_rgb, np.float32)
        image = Image.fromarray(np.rint(rgb).astype(np.uint8), mode="RGB")
    out = io.BytesIO()
    image.save(out, format=fmt.upper(), **({"quality": 85} if fmt in ("jpeg", "webp") else {}))
    return out.getvalue(), int(label)
