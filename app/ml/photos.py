"""Photo → the 224 × 224 × 3 numbers a CNN sees → labelled probabilities.

    decode(data)                       bytes of an upload → Photo (centre square, 224 × 224 RGB uint8)
    classify(registry, manifest, data) → Classification (top k with English and 中文 labels)

Everything happens in memory: an upload is never written to disk.

Cheap decoding of phone photos: a 12-megapixel JPEG is decoded at 1/8 size with JPEG "draft"
mode (the inverse DCT does the downscaling), so only ~0.2 megapixels are ever produced.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import io
import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image, UnidentifiedImageError

from app.ml import imagenet, jpeg_dc
from app.ml.decoding import bounded_decode
from app.ml.manifest import Manifest, input_size, model_input  # noqa: F401  (importable from here too)
from app.errors import UserError
from app.ml.registry import ModelRegistry

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 60_000_000  # a 48-megapixel phone photo passes; a decompression bomb does not
# Formats decoded at full size (PNG, WebP, GIF, HEIF …: no draft mode) are bounded lower:
# 16 megapixels are 64 MB of RGBA while they decode (app/ml/decoding.py).
MAX_FULL_DECODE_PIXELS = 16_000_000
MIN_SIDE = 32  # smaller than this has nothing for a CNN to see
INPUT_SIZE = 224

# EXIF orientation (tag 0x0112) → the transpose that shows the photo upright.
ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
HEIF_BRANDS = (b"ftypheic", b"ftypheix", b"ftyphevc", b"ftypmif1", b"ftypmsf1", b"ftypheim", b"ftypheis")


@dataclass
class Photo:
    pixels: np.ndarray  # (size, size, 3) uint8: exactly what the network sees
    width: int  # the upright photo's size
    height: int
    format: str  # "JPEG", "PNG", "HEIF", …


@dataclass
class Prediction:
    class_index: int
    label_en: str
    label_zh: str
    probability: float
    note_key: str | None = None  # a teaching note for this class (app/locales/photos.toml)

    def as_json(self) -> dict:
        return {"class_index": self.class_index, "label_en": self.label_en, "label_zh": self.label_zh,
                "probability": round(self.probability, 4)}


@dataclass
class Classification:
    model_id: str
    predictions: list[Prediction]
    probabilities: np.ndarray  # every class, summing to 1
    photo: Photo
    timings_ms: dict[str, float] = field(default_factory=dict)


@lru_cache
def heif_supported() -> bool:
    """Register pillow-heif's opener once, on first use (never at import)."""
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def _looks_like_heif(data: bytes) -> bool:
    return data[4:12] in HEIF_BRANDS


def decode(data: bytes, size: int = INPUT_SIZE) -> Photo:
    """Bytes of an image → its centre square, upright, RGB, size × size. Bad input → UserError."""
    if not data:
        raise UserError("photos.error_empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UserError("photos.error_too_large", 413, mb=MAX_UPLOAD_BYTES // (1024 * 1024))
    if data[:5] == b"%PDF-":
        raise UserError("photos.error_pdf", 415)
    if _looks_like_heif(data) and not heif_supported():
        raise UserError("photos.error_heic", 415)
    try:
        im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise UserError("photos.error_bomb", 413, mp=MAX_PIXELS // 1_000_000) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise UserError("photos.error_not_image", 415) from None

    width, height = im.size
    if width * height > MAX_PIXELS:  # checked from the header, before decompressing anything
        raise UserError("photos.error_bomb", 413, mp=MAX_PIXELS // 1_000_000)
    if min(width, height) < MIN_SIDE:
        raise UserError("photos.error_too_small", min=MIN_SIDE, width=width, height=height)
    jpeg = im.format in ("JPEG", "MPO")
    if not jpeg and width * height > MAX_FULL_DECODE_PIXELS:
        raise UserError("photos.error_too_many_pixels", 413, format=im.format or "?", mp=round(width * height / 1e6),
                        limit=MAX_FULL_DECODE_PIXELS // 1_000_000)
    # Other formats decode in full, and a PNG's EXIF may follow its pixels (getexif() then decodes
    # them all): from here on, a large one takes its turn. A JPEG's turn depends on its draft size.
    with bounded_decode(0 if jpeg else width * height):
        small, orientation = _upright_square(im, data, size, jpeg)
    if orientation in ORIENTATION:  # the centre square of an upright photo = the upright centre square
        small = small.transpose(ORIENTATION[orientation])
        if orientation >= 5:
            width, height = height, width
    pixels = np.asarray(small.convert("RGB") if small.mode != "RGB" else small, dtype=np.uint8)
    return Photo(pixels=pixels, width=width, height=height, format=im.format or "?")


def _upright_square(im: Image.Image, data: bytes, size: int, jpeg: bool) -> tuple[Image.Image, int]:
    """The decoded centre square (size × size, not yet turned upright) and the EXIF orientation."""
    try:  # MPO = a phone's JPEG with extra pictures inside (depth, HDR gain map): its first is the photo
        animated = getattr(im, "is_animated", False) and im.format != "MPO"
    except Exception:
        raise UserError("photos.error_truncated") from None
    if animated:
        raise UserError("photos.error_animated")
    try:
        orientation = int(im.getexif().get(0x0112, 1))
    except Exception:  # a broken EXIF block is no reason to refuse a photo
        orientation = 1
    if jpeg:
        im = _jpeg_draft(im, data, size)
    try:
        with bounded_decode(im.size[0] * im.size[1] if jpeg else 0):  # a JPEG after draft mode: what is decoded
            im.load()
            return _centre_square(_to_rgb_or_l(im), size), orientation
    except UserError:
        raise
    except Exception:  # truncated or corrupt data: Pillow raises OSError, SyntaxError, zlib.error …
        raise UserError("photos.error_truncated") from None


@lru_cache
def keep_decoder_memory() -> bool:
    """libjpeg decodes a progressive JPEG into a whole-picture buffer (40 MB for 12 megapixels).
    glibc hands out blocks that big with mmap and unmaps them on free, so every photo page-faults
    its buffer in again: 3/4 of the decoding time went to the kernel. Serving them from the heap
    and keeping freed memory for the next photo makes decoding ~3× faster (bench/photos.py).
    Called on the first big progressive JPEG, never at import; elsewhere than glibc: no-op."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's <malloc.h>
        return bool(libc.mallopt(m_mmap_threshold, 96 << 20)) and bool(libc.mallopt(m_trim_threshold, 192 << 20))
    except (OSError, AttributeError):
        return False


def _jpeg_draft(im: Image.Image, data: bytes, size: int) -> Image.Image:
    """Decode at 1/2, 1/4 or 1/8 of the size (never below size × size); a big progressive JPEG
    at 1/8 reads only its DC scans (app/ml/jpeg_dc.py)."""
    if im.info.get("progressive") and min(im.size[0] // size, im.size[1] // size) >= 8:
        keep_decoder_memory()
        slim = jpeg_dc.dc_only(data)
        if slim is not None:
            im = Image.open(io.BytesIO(slim))
    im.draft(im.mode, (size, size))
    return im


def _to_rgb_or_l(im: Image.Image) -> Image.Image:
    """Grayscale stays one channel until the end (cheaper); palette, CMYK, 16-bit → RGB or L;
    transparent parts become white (a cut-out on white, as a person would see it)."""
    if im.mode in ("RGB", "L"):
        return im
    if im.mode == "1":
        return im.convert("L")
    if im.mode.startswith("I;16") or im.mode in ("I", "F"):
        a = np.asarray(im, dtype=np.float32)
        top = 65535.0 if im.mode.startswith("I") and a.max() > 255 else (1.0 if im.mode == "F" and a.max() <= 1 else 255.0)
        return Image.fromarray(np.clip(a / top * 255.0, 0, 255).astype(np.uint8), "L")
    has_alpha = "A" in im.mode or "a" in im.mode or "transparency" in im.info
    if has_alpha:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        white.alpha_composite(rgba)
        return white.convert("RGB")
    return im.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV …


def _centre_square(im: Image.Image, size: int) -> Image.Image:
    """The largest centred square, resized to size × size (one resampling pass)."""
    w, h = im.size
    side = min(w, h)
    left, top = (w - side) / 2, (h - side) / 2
    return im.resize((size, size), Image.Resampling.BICUBIC, box=(left, top, left + side, top + side), reducing_gap=2.0)


def naive_decode(data: bytes, size: int = INPUT_SIZE) -> np.ndarray:
    """The baseline bench/photos.py compares against: full decode, then crop and resize."""
    im = Image.open(io.BytesIO(data))
    im = im.convert("RGB")
    w, h = im.size
    side = min(w, h)
    box = ((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side)
    return np.asarray(im.crop(box).resize((size, size), Image.Resampling.BICUBIC), dtype=np.uint8)


def to_probabilities(manifest: Manifest, y: np.ndarray) -> np.ndarray:
    """Model output → one probability per class (softmax of logits; a sigmoid's p → [1 − p, p])."""
    y = np.asarray(y, dtype=np.float64).ravel()
    if manifest.get("output") == "logits":
        y = np.exp(y - y.max())
    elif y.size == 1:
        y = np.array([1.0 - y[0], y[0]])
    y = y[int(manifest.get("label_offset", 0)):]
    if manifest.get("classes") == "imagenet":
        y = y[: imagenet.NUM_CLASSES]
    y = np.clip(y, 0.0, None)
    total = y.sum()
    return y / total if total > 0 else np.full(y.shape, 1.0 / max(y.size, 1))


def class_names(registry: ModelRegistry, manifest: Manifest, n: int) -> list[tuple[str, str]]:
    """(English, 中文) for class 0 … n − 1: ImageNet's table, or a learner's own class names."""
    if manifest.get("classes") == "imagenet":
        return [(c.en, c.zh) for c in imagenet.classes()[:n]]
    names = registry.labels(manifest)
    return [(str(names[i]), str(names[i])) if i < len(names) else (str(i), str(i)) for i in range(n)]


def classify(registry: ModelRegistry, manifest: Manifest, data: bytes, top: int = 5) -> Classification:
    """Image bytes → the model's top-k classes with both labels. Any manifest of task "photos"."""
    t0, cpu0 = time.perf_counter(), time.thread_time()
    photo = decode(data, input_size(manifest))
    t1 = time.perf_counter()
    y = registry.predictor(manifest.id).predict(model_input(manifest, photo.pixels)[None, ...])[0]
    t2 = time.perf_counter()
    p = to_probabilities(manifest, y)
    names = class_names(registry, manifest, p.size)
    order = np.argsort(-p, kind="stable")[: max(1, top)]
    predictions = [
        Prediction(int(i), names[i][0], names[i][1], float(p[i]),
                   imagenet.NOTES.get(int(i)) if manifest.get("classes") == "imagenet" else None)
        for i in order
    ]
    timings = {"decode": (t1 - t0) * 1000, "infer": (t2 - t1) * 1000, "total": (time.perf_counter() - t0) * 1000,
               "cpu": (time.thread_time() - cpu0) * 1000}  # this thread's CPU time: what an idle core would take
    return Classification(manifest.id, predictions, p, photo, timings)


def png_data_url(pixels: np.ndarray) -> str:
    """The crop the network saw, exact pixels, as a data: URL (nothing is stored anywhere)."""
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")

