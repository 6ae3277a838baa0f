"""Convolution and max-pooling, the way the lecture (slides 175–209) and Keras do them.

A 3×3 filter slides over the image; at each stop it multiplies the nine pixels under it by its
nine weights and adds them up:

    board[i, j] = Σ_u Σ_v  image[i·s + u, j·s + v] · kernel[u, v]      (s = stride)

That is cross-correlation — the filter is not flipped — which is what `keras.layers.Conv2D`
computes and what the lecture draws. The numbers it writes form the "score board" (記分板).

padding "valid": the filter stays inside the image, so an 8×8 image and a 3×3 filter give 6×6.
padding "same":  a ring of zeros is added first so that the board is ⌈n / s⌉ wide (8×8 at
                 stride 1). Like Keras (and TensorFlow), when the zeros cannot be split evenly
                 the extra one goes at the bottom and on the right.

Then a bias is added and ReLU keeps the positive part, and 2×2 max-pooling keeps the largest
score of each 2×2 region (Keras' MaxPooling2D: regions do not overlap; a row or column that
does not fill a region is dropped). A tie goes to the first cell in reading order.

The lecture's example (slides 191–206) is LECTURE_IMAGE with LECTURE_KERNEL, padding "valid",
stride 1, bias 0, ReLU, 2×2 pooling: the board starts 35 27 44 32 36 38 and pools to
36 44 43 / 37 26 35 / 38 34 40 (slide 206).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Padding = Literal["valid", "same"]

# Slide 191: the 8×8 image, row by row.
LECTURE_IMAGE = [
    [2, 5, 5, 2, 5, 2, 0, 1],
    [2, 3, 4, 0, 4, 2, 1, 5],
    [4, 3, 1, 3, 5, 5, 4, 3],
    [5, 3, 4, 5, 0, 2, 1, 5],
    [2, 3, 1, 1, 1, 0, 1, 3],
    [4, 4, 1, 1, 5, 1, 1, 4],
    [2, 3, 2, 2, 0, 4, 2, 4],
    [0, 5, 4, 5, 3, 4, 1, 4],
]
# The 3×3 filter of slides 192–193 (recovered from the slide's score board).
LECTURE_KERNEL = [
    [1, 0, 1],
    [2, 1, 3],
    [1, 1, 2],
]
# The score board as printed on the slide: one cell is a misprint (row 2, column 4, counting
# from 1: the slide says 36, the nine products add up to 37). The rest agrees with conv2d().
LECTURE_SLIDE_MISPRINT = {"row": 1, "col": 3, "slide": 36, "true": 37}
# Slide 206: the board after ReLU and 2×2 max-pooling.
LECTURE_POOLED = [
    [36, 44, 43],
    [37, 26, 35],
    [38, 34, 40],
]


def same_padding(n: int, k: int, stride: int) -> tuple[int, int]:
    """Zeros before and after one axis for padding "same" (Keras/TensorFlow rule): the board
    is ⌈n / stride⌉ long; the padding needed for that is split, the odd one going after."""
    out = -(-n // stride)
    total = max((out - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


def padding_amounts(shape: tuple[int, int], kernel_shape: tuple[int, int], padding: Padding, stride: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) zeros added around the image."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        return same_padding(shape[0], kernel_shape[0], stride), same_padding(shape[1], kernel_shape[1], stride)
    raise ValueError(f"padding must be 'valid' or 'same', not {padding!r}")


def pad(image: np.ndarray, kernel_shape: tuple[int, int], padding: Padding, stride: int = 1) -> np.ndarray:
    """The image the filter actually slides over: itself, or with its ring of zeros."""
    image = np.asarray(image, dtype=float)
    return np.pad(image, padding_amounts(image.shape, kernel_shape, padding, stride))


def board_shape(shape: tuple[int, int], kernel_shape: tuple[int, int], padding: Padding, stride: int = 1) -> tuple[int, int]:
    """valid: ⌊(n − k) / s⌋ + 1;  same: ⌈n / s⌉."""
    if padding == "same":
        return -(-shape[0] // stride), -(-shape[1] // stride)
    return (shape[0] - kernel_shape[0]) // stride + 1, (shape[1] - kernel_shape[1]) // stride + 1


def conv2d(image, kernel, padding: Padding = "valid", stride: int = 1) -> np.ndarray:
    """The score board: the sum of (window × filter) at every stop of the filter."""
    kernel = np.asarray(kernel, dtype=float)
    if kernel.ndim != 2 or np.asarray(image).ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    padded = pad(image, kernel.shape, padding, stride)
    if kernel.shape[0] > padded.shape[0] or kernel.shape[1] > padded.shape[1]:
        raise ValueError("the kernel is larger than the image")
    windows = sliding_window_view(padded, kernel.shape)[::stride, ::stride]
    return np.einsum("ijuv,uv->ij", windows, kernel)


@dataclass(frozen=True)
class Window:
    """One stop of the filter: where it sits on the padded image, the nine products, their sum."""

    row: int  # position on the score board
    col: int
    top: int  # top-left corner on the padded image
    left: int
    pixels: np.ndarray  # the window of the padded image under the filter
    products: np.ndarray  # pixels × kernel, cell by cell
    total: float  # Σ products = board[row, col]


def window_at(image, kernel, row: int, col: int, padding: Padding = "valid", stride: int = 1) -> Window:
    """What the filter sees when it writes board[row, col] (for stepping through by hand)."""
    kernel = np.asarray(kernel, dtype=float)
    padded = pad(image, kernel.shape, padding, stride)
    top, left = row * stride, col * stride
    pixels = padded[top : top + kernel.shape[0], left : left + kernel.shape[1]]
    if pixels.shape != kernel.shape:
        raise IndexError(f"board cell ({row}, {col}) is outside the board")
    products = pixels * kernel
    return Window(row, col, top, left, pixels, products, float(products.sum()))


def relu(z) -> np.ndarray:
    """max(0, z): negative scores become 0."""
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def max_pool(board, size: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """size×size max-pooling with stride = size, as keras.layers.MaxPooling2D(size).

    Returns (pooled, winners): winners[i, j] = (row, col) on the board of the cell whose
    value pooled[i, j] kept (the first in reading order when several tie)."""
    board = np.asarray(board, dtype=float)
    h, w = board.shape[0] // size, board.shape[1] // size
    if h == 0 or w == 0:
        raise ValueError("the pooling region is larger than the board")
    regions = board[: h * size, : w * size].reshape(h, size, w, size).transpose(0, 2, 1, 3).reshape(h, w, size * size)
    best = regions.argmax(axis=2)  # argmax returns the first of equal values
    pooled = np.take_along_axis(regions, best[..., None], axis=2)[..., 0]
    rows = np.arange(h)[:, None] * size + best // size
    cols = np.arange(w)[None, :] * size + best % size
    return pooled, np.stack([rows, cols], axis=-1)


@dataclass(frozen=True)
class ConvResult:
    """Every stage the page and the API show."""

    padded: np.ndarray
    pad: tuple[tuple[int, int], tuple[int, int]]
    board: np.ndarray  # the score board
    activated: np.ndarray  # ReLU(board + bias)
    pooled: np.ndarray | None  # after max-pooling (None when pool is 1: no pooling)
    winners: np.ndarray | None


def run(image, kernel, padding: Padding = "valid", stride: int = 1, bias: float = 0.0, pool: int = 2) -> ConvResult:
    """Convolution → + bias → ReLU → max-pooling, as one Conv2D(activation="relu") + MaxPooling2D."""
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    board = conv2d(image, kernel, padding, stride)
    activated = relu(board + bias)
    pooled = winners = None
    if pool > 1:
        pooled, winners = max_pool(activated, pool)
    return ConvResult(
        padded=pad(image, kernel.shape, padding, stride),
        pad=padding_amounts(image.shape, kernel.shape, padding, stride),
        board=board,
        activated=activated,
        pooled=pooled,
        winners=winners,
    )
