"""Bounded picture decoding, shared by the photo and digit labs.

A PNG, WebP or GIF cannot be decoded at a reduced size (a JPEG can: app/ml/photos.py draft
mode), so a 16-megapixel PNG becomes 64 MB of RGBA pixels, and Pillow's conversions briefly
double that. Decodes that big take turns, LARGE_DECODES_AT_ONCE at a time, however many uploads
arrive together; afterwards the freed pages go back to the system instead of staying in the
allocator's heap (glibc keeps freed memory below M_TRIM_THRESHOLD for the next request).

    with bounded_decode(width * height):
        image.load()
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

LARGE_PIXELS = 4_000_000  # a 2000×2000 picture or more takes its turn
LARGE_DECODES_AT_ONCE = 2


@lru_cache
def _large_decodes() -> threading.BoundedSemaphore:
    """One per process: it bounds the memory of the process, whichever route decodes."""
    return threading.BoundedSemaphore(LARGE_DECODES_AT_ONCE)


@lru_cache
def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None


def return_memory() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@contextmanager
def bounded_decode(pixels: int) -> Iterator[None]:
    """Decode `pixels` (after any reduction) inside this block: a large one waits for its turn."""
    if pixels <= LARGE_PIXELS:
        yield
        return
    with _large_decodes():
        try:
            yield
        finally:
            return_memory()
