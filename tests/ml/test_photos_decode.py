"""Photo → the 224 × 224 × 3 numbers the CNN sees: orientation, colour modes, formats, cheap
decoding of big JPEGs, and every kind of bad upload refused with a clear 4xx."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageOps

from app.ml import jpeg_dc, photos
from app.web import UserError


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **kw)
    return out.getvalue()


def reference(im: Image.Image, size: int = 224) -> np.ndarray:
    """The slow, obvious pipeline: upright, RGB, centre square, resize."""
    im = ImageOps.exif_transpose(im).convert("RGB")
    w, h = im.size
    side = min(w, h)
    box = ((w - side) / 2, (h - side) / 2, (w + side) / 2, (h + side) / 2)
    return np.asarray(im.resize((size, size), Image.Resampling.BICUBIC, box=box), dtype=np.int16)


def two_halves(w=400, h=300) -> Image.Image:
    """Left half red, right half blue, a green stripe along the top: every orientation looks different."""
    a = np.zeros((h, w, 3), np.uint8)
    a[:, : w // 2] = (220, 30, 30)
    a[:, w // 2:] = (30, 30, 220)
    a[: h // 5] = (30, 200, 30)
    return Image.fromarray(a)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_honoured(orientation):
    im = two_halves()
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(im, "PNG", exif=exif.tobytes())
    photo = photos.decode(data)
    expected = reference(Image.open(io.BytesIO(data)))
    assert photo.pixels.shape == (224, 224, 3) and photo.pixels.dtype == np.uint8
    # same picture as "rotate upright, then crop": only resampling rounding may differ
    assert np.abs(photo.pixels.astype(np.int16) - expected).mean() < 1.0
    upright = (300, 400) if orientation >= 5 else (400, 300)
    assert (photo.width, photo.height) == upright


def test_a_phone_photo_held_upright_comes_out_upright():
    """Orientation 6 (the phone was turned 90° clockwise): the stored left edge is the top."""
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = photos.decode(encode(two_halves(), "JPEG", exif=exif.tobytes(), quality=95))
    top, bottom = photo.pixels[20, 112], photo.pixels[200, 112]
    assert top[0] > 150 and top[2] < 80  # red on top
    assert bottom[2] > 150 and bottom[0] < 80  # blue below


def colour_at_centre(data: bytes) -> np.ndarray:
    return photos.decode(data).pixels[112, 112].astype(int)


@pytest.mark.parametrize("mode", ["RGB", "L", "P", "RGBA", "LA", "CMYK", "1", "I;16", "I", "F"])
def test_every_colour_mode_becomes_rgb(mode):
    base = Image.new("RGB", (300, 200), (200, 120, 40))
    if mode == "P":
        im = base.convert("P", palette=Image.Palette.ADAPTIVE)
    elif mode == "I;16":
        im = Image.fromarray(np.full((200, 300), 40000, np.uint16))  # mode I;16
    elif mode in ("I", "F"):
        im = base.convert("L").convert(mode)
    else:
        im = base.convert(mode)
    fmt = "TIFF" if mode in ("CMYK", "F", "I") else "PNG"
    pixels = photos.decode(encode(im, fmt)).pixels
    assert pixels.shape == (224, 224, 3) and pixels.dtype == np.uint8
    centre = pixels[112, 112].astype(int)
    if mode == "I;16":
        assert abs(centre[0] - 40000 * 255 // 65535) <= 2 and len(set(centre)) == 1
    elif mode in ("L", "LA", "I", "F", "1"):
        assert len(set(centre)) == 1  # grey stays grey
    else:
        assert abs(centre - [200, 120, 40]).max() <= 12


def test_transparent_parts_become_white():
    im = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    assert colour_at_centre(encode(im, "PNG")).tolist() == [255, 255, 255]
    p = Image.new("P", (100, 100), 0)
    p.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    assert colour_at_centre(encode(p, "PNG", transparency=0)).tolist() == [255, 255, 255]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"])
def test_common_formats(fmt):
    im = two_halves()
    photo = photos.decode(encode(im, fmt))
    assert photo.format in (fmt, "WEBP", "GIF")
    assert np.abs(photo.pixels.astype(np.int16) - reference(im)).mean() < 12  # GIF's 256 colours, JPEG's loss


def test_heic_from_an_iphone():
    pytest.importorskip("pillow_heif", reason="HEIC needs pillow-heif (pinned in pyproject.toml)")
    assert photos.heif_supported()
    data = encode(two_halves(), "HEIF", quality=90)
    assert data[4:12] == b"ftypheic"
    photo = photos.decode(data)
    assert photo.format == "HEIF"
    assert np.abs(photo.pixels.astype(np.int16) - reference(two_halves())).mean() < 8
    exif = Image.Exif()
    exif[0x0112] = 6  # taken with the phone upright: rotated once, not twice
    upright = photos.decode(encode(two_halves(), "HEIF", quality=90, exif=exif.tobytes()))
    expected = reference(Image.open(io.BytesIO(encode(two_halves(), "PNG", exif=exif.tobytes()))))
    assert (upright.width, upright.height) == (300, 400)
    assert np.abs(upright.pixels.astype(np.int16) - expected).mean() < 8


def progressive_jpeg(w=2400, h=1800) -> bytes:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:h, 0:w]
    a = np.stack([(x * 255 // w), (y * 255 // h), ((x + y) % 256)], -1).astype(np.uint8)
    a = np.clip(a.astype(int) + rng.integers(-20, 20, a.shape), 0, 255).astype(np.uint8)
    return encode(Image.fromarray(a), "JPEG", quality=90, progressive=True)


def test_big_jpegs_are_decoded_small_and_look_the_same():
    data = progressive_jpeg()
    naive = photos.naive_decode(data).astype(np.int16)
    fast = photos.decode(data).pixels.astype(np.int16)
    assert np.abs(fast - naive).mean() < 4  # draft mode + DC scans only ≈ full decode + resize


def test_dc_scans_alone_give_the_same_brightness_as_a_full_decode(shared):
    for data in (progressive_jpeg(), (shared / "photos" / "sun_bear_large.jpg").read_bytes()):
        slim = jpeg_dc.dc_only(data)
        assert slim is not None and len(slim) < len(data) / 2

        def at_eighth(d, mode):
            im = Image.open(io.BytesIO(d))
            im.draft(mode, (im.size[0] // 8, im.size[1] // 8))
            return np.asarray(im.convert(mode), dtype=np.int16)

        full, dc = at_eighth(data, "YCbCr"), at_eighth(slim, "YCbCr")
        assert full.shape == dc.shape
        assert np.array_equal(full[..., 0], dc[..., 0])  # luma: bit for bit
        assert np.abs(full[..., 1:] - dc[..., 1:]).mean() < 4  # chroma: loses fine detail only (noisy test image)


def test_dc_only_leaves_other_jpegs_alone():
    assert jpeg_dc.dc_only(encode(two_halves(), "JPEG")) is None  # baseline
    assert jpeg_dc.dc_only(b"not a jpeg") is None
    truncated = progressive_jpeg()[:2000]  # cut inside the first scan
    assert jpeg_dc.dc_only(truncated) is None


# ---- bad uploads --------------------------------------------------------------------------

def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge size in a few bytes: how a decompression bomb starts."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    idat = zlib.compress(b"\0" * 1000)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
            + struct.pack(">I", len(idat)) + b"IDAT" + idat + struct.pack(">I", zlib.crc32(b"IDAT" + idat)))


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (64, 64), c) for c in ((255, 0, 0), (0, 0, 255))]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


BAD = {
    "zero bytes": (b"", 422, "photos.error_empty"),
    "not an image": (b"hello, this is text" * 10, 415, "photos.error_not_image"),
    "a PDF renamed .jpg": (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" * 20, 415, "photos.error_pdf"),
    "over 15 MB": (b"\xff\xd8" + bytes(15 * 1024 * 1024), 413, "photos.error_too_large"),
    "a bomb (400 MP)": (png_header_only(20000, 20000), 413, "photos.error_bomb"),
    "a bomb (80 MP)": (png_header_only(10000, 8000), 413, "photos.error_bomb"),
    "1 × 1": (encode(Image.new("RGB", (1, 1)), "PNG"), 422, "photos.error_too_small"),
    "an animated GIF": (animated_gif(), 422, "photos.error_animated"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_uploads_are_refused_with_a_reason(name):
    data, status, key = BAD[name]
    with pytest.raises(UserError) as caught:
        photos.decode(data)
    assert (caught.value.status_code, caught.value.key) == (status, key)


def test_truncated_jpeg_is_refused():
    data = encode(two_halves(800, 600), "JPEG", quality=95)
    with pytest.raises(UserError) as caught:
        photos.decode(data[: len(data) // 2])
    assert caught.value.key == "photos.error_truncated"
    with pytest.raises(UserError):
        photos.decode(progressive_jpeg()[:3000])  # cut in its first (DC) scan


def test_a_phone_jpeg_with_extra_pictures_inside_is_a_photo_not_an_animation():
    """iPhones and many Androids write MPO: the photo, then a depth map or HDR gain map."""
    im = two_halves(800, 600)
    data = encode(im, "MPO", save_all=True, append_images=[Image.new("RGB", (200, 150), (0, 0, 0))])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    photo = photos.decode(data)
    assert np.abs(photo.pixels.astype(np.int16) - reference(im)).mean() < 8


def test_a_single_frame_gif_is_fine():
    assert photos.decode(encode(Image.new("RGB", (64, 64), (0, 200, 0)), "GIF")).pixels[0, 0, 1] > 150


def test_big_progressive_jpegs_reuse_the_decoders_memory(shared):
    """The 40 MB coefficient buffer of a 12-megapixel progressive JPEG is not page-faulted in again
    for every photo (that was 3/4 of the decoding time)."""
    import resource
    import sys

    data = (shared / "photos" / "sun_bear_large.jpg").read_bytes()
    photos.decode(data)
    if not sys.platform.startswith("linux") or not photos.keep_decoder_memory():
        # no glibc (the tuning is a no-op there): decoding must still give the network's input
        assert photos.decode(data).pixels.shape == (224, 224, 3)
        return
    before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    photos.decode(data)
    faults = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before
    assert faults < 2000, f"{faults} page faults (a 40 MB buffer is ~10 000)"
