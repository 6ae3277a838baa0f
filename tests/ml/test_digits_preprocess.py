"""Canvas → the 28×28 MNIST picture: the way MNIST was made (ink box → fit 20×20 → centre of
mass at the centre), for any pen and paper, and bad uploads refused with a 4xx UserError."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from app.ml.digits import MAX_UPLOAD_BYTES, as_pixels, decode_ink, preprocess, stroke_width, to_mnist
from app.web import UserError


@pytest.fixture(scope="module")
def mnist_test(shared):
    with np.load(shared / "datasets" / "mnist.npz") as data:
        return data["x_test"][:200], data["y_test"][:200]


def encode(array: np.ndarray, fmt="PNG", mode=None) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array, mode=mode).save(out, format=fmt)
    return out.getvalue()


def on_canvas(digit: np.ndarray, top: int, left: int, size: int, canvas: int = 280) -> np.ndarray:
    """An MNIST digit's ink (0–1) scaled to `size` px and placed at (top, left) on an empty canvas."""
    big = np.asarray(Image.fromarray(digit.astype(np.float32) / 255, mode="F").resize((size, size), Image.Resampling.BILINEAR))
    ink = np.zeros((canvas, canvas), np.float32)
    ink[top : top + size, left : left + size] = np.clip(big, 0, 1)
    return ink


def centre_of_mass(picture: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(picture.shape)
    return float((picture * ys).sum() / picture.sum()), float((picture * xs).sum() / picture.sum())


def bounding_box(picture: np.ndarray, level=0.1) -> tuple[int, int]:
    rows, cols = np.flatnonzero(picture.max(1) > level), np.flatnonzero(picture.max(0) > level)
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_a_small_digit_in_a_corner_becomes_a_centred_mnist_digit(mnist_test):
    x, _ = mnist_test
    for digit in x[:20]:
        picture = to_mnist(on_canvas(digit, top=230, left=235, size=42))  # tiny, bottom-right corner
        cy, cx = centre_of_mass(picture)
        assert abs(cy - 14) <= 0.75 and abs(cx - 14) <= 0.75, "centre of mass at the centre of 28×28"
        assert max(bounding_box(picture)) in (19, 20, 21), "the ink fits a 20×20 box"
        # and it looks like the original MNIST picture again (correlation of the 784 numbers)
        r = np.corrcoef(picture.ravel(), digit.astype(np.float32).ravel())[0, 1]
        assert r > 0.75, f"correlation with the MNIST original only {r:.2f}"


def test_off_centre_and_large_drawings_land_in_the_same_place(mnist_test):
    digit = mnist_test[0][0]
    a = to_mnist(on_canvas(digit, top=0, left=0, size=120))
    b = to_mnist(on_canvas(digit, top=100, left=60, size=180))
    assert np.abs(a - b).mean() < 0.03, "size and position on the canvas do not change the picture"


def test_pen_and_paper_colours_do_not_matter(mnist_test):
    ink = on_canvas(mnist_test[0][3], top=50, left=70, size=150)
    a = ink[..., None]
    dark_on_white = np.rint(255 * (1 - a) * np.ones(3)).astype(np.uint8)
    chalk_on_board = np.rint(a * [240, 240, 230] + (1 - a) * [20, 60, 30]).astype(np.uint8)
    red_on_yellow = np.rint(a * [200, 0, 0] + (1 - a) * [255, 240, 120]).astype(np.uint8)
    transparent = np.zeros((280, 280, 4), np.uint8)
    transparent[..., 3] = np.rint(ink * 255)  # canvas.toBlob(): black strokes, alpha = ink
    reference = to_mnist(ink)
    for name, data in [("dark on white", encode(dark_on_white)), ("chalk on board", encode(chalk_on_board)),
                       ("red on yellow", encode(red_on_yellow)), ("transparent PNG", encode(transparent, mode="RGBA")),
                       ("JPEG", encode(dark_on_white, "JPEG")), ("WebP", encode(dark_on_white, "WEBP"))]:
        picture = preprocess(data)
        assert np.abs(picture - reference).mean() < 0.03, name


def line_drawing(width: int) -> bytes:
    """A "1": one vertical line on white paper, drawn with a pen `width` px wide."""
    image = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(image).line([(140, 40), (150, 240)], fill=0, width=width)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("pen", [1, 3, 12, 30, 60])
def test_hairlines_and_fat_strokes_get_an_mnist_like_stroke_width(pen):
    picture = preprocess(line_drawing(pen))
    width = stroke_width(picture > 0.5)
    assert 1.6 <= width <= 4.5, f"a {pen}px pen gives strokes {width:.1f} px wide in 28×28 (MNIST: about 2.3)"
    assert picture.max() == pytest.approx(1.0)


def test_the_picture_is_784_numbers_from_0_to_255(mnist_test):
    pixels = as_pixels(to_mnist(on_canvas(mnist_test[0][1], 10, 10, 200)))
    assert len(pixels) == 28 and all(len(row) == 28 for row in pixels)
    flat = [v for row in pixels for v in row]
    assert all(isinstance(v, int) and 0 <= v <= 255 for v in flat) and max(flat) == 255


@pytest.mark.parametrize("canvas", [
    np.zeros((280, 280, 4), np.uint8),  # a transparent canvas nobody drew on
    np.full((280, 280, 3), 255, np.uint8),  # white paper
    np.full((280, 280, 3), 30, np.uint8),  # a dark board
])
def test_an_empty_canvas_is_refused_not_guessed(canvas):
    with pytest.raises(UserError) as err:
        preprocess(encode(canvas, mode="RGBA" if canvas.shape[-1] == 4 else "RGB"))
    assert err.value.key == "digits.error_empty" and err.value.status_code == 422


def test_a_single_speck_of_dust_is_not_a_digit():
    paper = np.full((280, 280, 3), 255, np.uint8)
    paper[100:102, 100:102] = 0
    with pytest.raises(UserError) as err:
        preprocess(encode(paper))
    assert err.value.key == "digits.error_empty"


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width×height pixels (a decompression bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def real_bomb() -> bytes:
    """20 000 × 20 000 white pixels: a tiny file that would need 400 MB to decode."""
    return png_header_only(20_000, 20_000)


@pytest.mark.parametrize("data, key, status", [
    (b"this is not an image", "digits.error_not_image", 415),
    (b"", "digits.error_not_image", 415),
    (b"GIF89a" + b"\x00" * 100, "digits.error_not_image", 415),  # only PNG, JPEG, WebP
    (real_bomb(), "digits.error_too_many_pixels", 413),
    (encode(np.zeros((1, 1), np.uint8)), "digits.error_too_small", 422),
    (b"\x00" * (MAX_UPLOAD_BYTES + 1), "digits.error_too_big", 413),
])
def test_bad_uploads_are_user_errors(data, key, status):
    with pytest.raises(UserError) as err:
        decode_ink(data)
    assert (err.value.key, err.value.status_code) == (key, status)


def test_a_truncated_png_is_a_broken_image():
    noise = np.random.default_rng(0).integers(0, 255, (280, 280, 3), dtype=np.uint8)
    data = encode(noise)
    with pytest.raises(UserError) as err:
        decode_ink(data[: len(data) // 2])
    assert err.value.key == "digits.error_broken_image" and err.value.status_code == 422
