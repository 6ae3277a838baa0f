"""A drawing from the canvas → the 28×28 picture a digit network reads, made the way MNIST was made.

MNIST's recipe (LeCun et al.): take the ink's bounding box, scale it to fit a 20×20 box keeping
its aspect ratio (anti-aliased, so edges become greys), then put it in a 28×28 field so that the
ink's centre of mass sits at the centre. Resizing the whole canvas to 28×28 instead (a common
shortcut) leaves a small or off-centre digit unreadable.

    picture = to_mnist(decode_ink(png_bytes))   # (28, 28) floats: 0 = paper, 1 = ink
    picture = to_mnist(read_ink_box(body, w, h, deflated=True))  # what the page sends while drawing

Works for dark ink on light paper, light ink on a dark board, and transparent PNGs from
`canvas.toBlob()`; thin and fat strokes are brought to MNIST's stroke width (about 2.3 pixels).
Bad uploads raise UserError (a 4xx in the learner's language), never a server error.
"""

from __future__ import annotations

import io
import zlib

import numpy as np
from PIL import Image, ImageChops, UnidentifiedImageError

from app.errors import UserError
from app.ml.decoding import bounded_decode

MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # a 280×280 canvas PNG is ~10 kB
MAX_PIXELS = 4096 * 4096  # checked from the header, before decoding (decompression bombs)
MIN_SIDE = 8
FORMATS = ("PNG", "JPEG", "WEBP")

BOX = 20  # MNIST digits fit a 20×20 box …
FIELD = 28  # … inside a 28×28 field
CENTRE = 14.0  # where MNIST's centres of mass sit (row, column), measured on the training set
MNIST_STROKE = 2.3  # median stroke width of MNIST digits in pixels, measured the same way
INK = 0.2  # a pixel with at least 20 % of the darkest stroke's contrast counts as ink
NOISE = 0.08  # below this it is paper (JPEG ringing, paper texture)
MIN_INK_PIXELS = 12
WORK = 4 * BOX  # stroke widths are evened out at 80 px, then scaled to 20


def decode_ink(data: bytes) -> np.ndarray:
    """Image bytes → an ink map (h, w) in 0–1: how far each pixel is from the paper."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UserError("digits.error_too_big", 413, mb=MAX_UPLOAD_BYTES // (1024 * 1024))
    if not data:
        raise UserError("digits.error_not_image", 415)
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise UserError("digits.error_too_many_pixels", 413)
            if min(width, height) < MIN_SIDE:
                raise UserError("digits.error_too_small", 422, width=width, height=height, min=MIN_SIDE)
            with bounded_decode(width * height):
                image.load()  # truncated or corrupt data fails here
                return _ink_of(image)
    except UserError:
        raise
    except Image.DecompressionBombError as exc:
        raise UserError("digits.error_too_many_pixels", 413) from exc
    except UnidentifiedImageError as exc:
        raise UserError("digits.error_not_image", 415) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UserError("digits.error_broken_image", 422) from exc


# The page's live wire format: the canvas's ink itself — its alpha channel, 0 = paper … 255 = ink —
# cut to the box of pixels that hold any ink, w×h bytes row by row, deflated (zlib) by the browser:
# ~1 kB instead of a ~4 kB PNG, and no PNG to decode. ink_box() is the twin of digits_canvas.js
# inkBox(). Everything to_mnist() does happens inside that box, so a transparent canvas gives the
# very same 28×28 picture by either path.
MAX_INK_BODY = 256 * 1024
MAX_INK_SIDE = 600  # a box from a canvas of up to 600×600 (the pad is 280×280): a bigger one would hold up the server


def ink_box(alpha: np.ndarray) -> np.ndarray:
    """A canvas's alpha channel (h, w) uint8 → the smallest box holding every pixel with any ink."""
    rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    if not len(rows):
        return alpha[:0, :0]
    return alpha[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def read_ink_box(data: bytes, width: int, height: int, deflated: bool = False) -> np.ndarray:
    """The page's ink bytes (width × height, row by row, optionally zlib-deflated) → an ink map in 0–1."""
    if len(data) > MAX_INK_BODY:
        raise UserError("digits.error_too_big", 413, mb=MAX_UPLOAD_BYTES // (1024 * 1024))
    if width > MAX_INK_SIDE or height > MAX_INK_SIDE:
        raise UserError("digits.error_ink_too_large", 413, side=MAX_INK_SIDE)
    if width < 1 or height < 1:
        raise UserError("digits.error_empty", 422)
    size = width * height
    if deflated:
        try:
            data = zlib.decompressobj().decompress(data, size + 1)  # never more than one byte past the box (zip bombs)
        except zlib.error as exc:
            raise UserError("digits.error_broken_image", 422) from exc
    if len(data) != size:
        raise UserError("digits.error_broken_image", 422)
    return np.frombuffer(data, dtype=np.uint8).reshape(height, width).astype(np.float32) / 255.0  # as decode_ink


def _ink_of(image: Image.Image) -> np.ndarray:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if has_alpha:
        image = image if image.mode in ("RGBA", "LA") else image.convert("RGBA")
        alpha = image.getchannel("A")
        if alpha.getextrema()[0] < 250:  # transparent paper: the ink is whatever is opaque
            return np.asarray(alpha, dtype=np.float32) / 255.0
    rgb = image.convert("RGB")
    # The paper's colour is the typical colour along the border (a stroke may touch an edge).
    pixels = np.asarray(rgb)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    paper = tuple(int(v) for v in np.median(border, axis=0))
    # Ink = the largest difference from the paper in any channel: any colour of ink on any paper.
    red, green, blue = ImageChops.difference(rgb, Image.new("RGB", rgb.size, paper)).split()
    return np.asarray(ImageChops.lighter(ImageChops.lighter(red, green), blue), dtype=np.float32) / 255.0


def _resize(ink: np.ndarray, height: int, width: int) -> np.ndarray:
    """Anti-aliased resize of a float image (area average when shrinking)."""
    image = Image.fromarray(np.ascontiguousarray(ink, dtype=np.float32), mode="F")
    return np.asarray(image.resize((width, height), Image.Resampling.BOX), dtype=np.float32)


def stroke_width(mask: np.ndarray) -> float:
    """Stroke width ≈ 2·area / perimeter (a stroke of length L and width w: area L·w, perimeter ≈ 2L).

    The perimeter is the geometric mean of the boundary's pixel count and its edge count: the
    first undercounts a diagonal by √2, the second overcounts it by √2, both are exact when straight.
    """
    area = int(mask.sum())
    if area == 0:
        return 0.0
    padded = np.pad(mask, 1)
    centre = padded[1:-1, 1:-1]
    neighbours = (padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:])
    inner = centre & neighbours[0] & neighbours[1] & neighbours[2] & neighbours[3]
    boundary_pixels = area - int(inner.sum())
    boundary_edges = sum(int((centre & ~n).sum()) for n in neighbours)
    return 2.0 * area / max(float(np.sqrt(boundary_pixels * boundary_edges)), 1.0)


def _filter(ink: np.ndarray, size: int, reduce) -> np.ndarray:
    """Square max (dilate) or min (erode) filter of odd `size`, separable: rows, then columns."""
    r = size // 2
    padded = np.pad(ink, r)
    rows = reduce(np.lib.stride_tricks.sliding_window_view(padded, size, axis=0), axis=-1)
    return reduce(np.lib.stride_tricks.sliding_window_view(rows, size, axis=1), axis=-1)


def even_out_strokes(ink: np.ndarray, scale: float) -> np.ndarray:
    """Make very thin strokes fatter and very fat strokes thinner, so that after shrinking by
    `scale` they are about as wide as MNIST's pen (networks never saw a hairline or a blob)."""
    width = stroke_width(ink > 0.5) * scale  # in 28×28 pixels
    if width <= 0:
        return ink
    if width < 0.6 * MNIST_STROKE:
        grow = int(round((MNIST_STROKE - width) / scale / 2))  # pixels to add on each side
        return _filter(np.pad(ink, grow), 2 * grow + 1, np.max) if grow > 0 else ink  # room to grow
    if width > 1.8 * MNIST_STROKE:
        shrink = int(round((width - 1.4 * MNIST_STROKE) / scale / 2))
        thinner = _filter(ink, 2 * shrink + 1, np.min) if shrink > 0 else ink
        return thinner if (thinner > 0.5).sum() >= MIN_INK_PIXELS else ink
    return ink


def to_mnist(ink: np.ndarray) -> np.ndarray:
    """An ink map (any size) → (28, 28) float32 in 0–1, the MNIST way. Empty canvas → UserError."""
    peak = float(ink.max()) if ink.size else 0.0
    if peak < INK:
        raise UserError("digits.error_empty", 422)
    mask = ink > INK * peak  # ink: at least 20 % of the darkest stroke, whatever pen colour was used
    if int(np.count_nonzero(mask)) < MIN_INK_PIXELS:
        raise UserError("digits.error_empty", 422)

    # 1. the ink's bounding box
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] * np.float32(1.0 / peak)  # darkest stroke = 1
    crop = np.where(crop > NOISE, crop, np.float32(0.0)).astype(np.float32, copy=False)

    # 2. scale to fit 20×20, keeping the aspect ratio (via an 80 px working size where strokes are evened out)
    h, w = crop.shape
    work = WORK / max(h, w)
    if work < 1:
        crop = _resize(crop, max(1, round(h * work)), max(1, round(w * work)))
    else:
        work = 1.0
    crop = crop / max(float(crop.max()), 1e-6)
    crop = even_out_strokes(crop, BOX / max(h, w) / work)
    ch, cw = crop.shape
    fit = BOX / max(ch, cw)
    box = _resize(crop, max(1, round(ch * fit)), max(1, round(cw * fit)))
    box = np.clip(box / max(float(box.max()), 1e-6), 0.0, 1.0)  # the darkest pixel is full ink, as in MNIST

    # 3. centre of mass → the centre of the 28×28 field
    total = float(box.sum())
    if total <= 0:
        raise UserError("digits.error_empty", 422)
    ys, xs = np.indices(box.shape)
    com_y, com_x = float((box * ys).sum()) / total, float((box * xs).sum()) / total
    top, left = int(round(CENTRE - com_y)), int(round(CENTRE - com_x))
    top = min(max(top, 0), FIELD - box.shape[0])  # never push ink out of the field
    left = min(max(left, 0), FIELD - box.shape[1])
    field = np.zeros((FIELD, FIELD), dtype=np.float32)
    field[top : top + box.shape[0], left : left + box.shape[1]] = box
    return field


def preprocess(data: bytes) -> np.ndarray:
    """Uploaded image bytes → (28, 28) float32 picture in 0–1."""
    return to_mnist(decode_ink(data))


def as_pixels(picture: np.ndarray) -> list[list[int]]:
    """The 28×28 picture as the numbers the lecture shows: 0 (paper) … 255 (ink)."""
    return np.rint(picture * 255).astype(np.uint8).tolist()


def probabilities(predictor, picture: np.ndarray, input_size=(28, 28, 1)) -> np.ndarray:
    """The network as a function: 784 numbers (28×28×1) in → 10 probabilities out, summing to 1."""
    x = picture.astype(np.float32).reshape((1, *input_size))
    p = np.asarray(predictor.predict(x), dtype=np.float64).reshape(-1)
    if p.min() < 0 or abs(p.sum() - 1) > 1e-3:  # a model without a softmax at the end: apply one
        p = np.exp(p - p.max())
    return p / p.sum()
