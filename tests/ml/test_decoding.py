"""Bounded picture decoding (issue 18): a PNG too large to decode reduced is refused from its
header with a clear message; large decodes take turns, two at a time."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time

import pytest
from PIL import Image

from app.errors import UserError
from app.ml import photos
from app.ml.decoding import LARGE_DECODES_AT_ONCE, LARGE_PIXELS, bounded_decode
from tests.conftest import ROOT


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 140, 200)).save(out, format="PNG")
    return out.getvalue()


def test_a_59_megapixel_png_is_refused_from_its_header_with_a_clear_message():
    data = png(7700, 7700)
    started = time.perf_counter()
    with pytest.raises(UserError) as refused:
        photos.decode(data)
    assert time.perf_counter() - started < 0.5  # nothing was decompressed
    assert refused.value.key == "photos.error_too_many_pixels" and refused.value.status_code == 413
    assert refused.value.params == {"format": "PNG", "mp": 59, "limit": 16}


def test_a_png_under_the_limit_is_still_decoded():
    assert photos.decode(png(3900, 3900)).pixels.shape == (224, 224, 3)


def test_large_decodes_take_turns_small_ones_do_not():
    inside, most, lock = [0], [0], threading.Lock()

    def decode(pixels):
        with bounded_decode(pixels):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.2)
            with lock:
                inside[0] -= 1

    for pixels, large in ((LARGE_PIXELS + 1, True), (1000, False)):
        most[0] = 0
        threads = [threading.Thread(target=decode, args=(pixels,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert most[0] == LARGE_DECODES_AT_ONCE if large else most[0] > LARGE_DECODES_AT_ONCE


CROWD = """
import io, threading
from PIL import Image
from app.ml import photos

def png(side):
    out = io.BytesIO()
    Image.new("RGB", (side, side), (90, 140, 200)).save(out, format="PNG")
    return out.getvalue()

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

data = png(3900)
photos.decode(png(300))
before, peak, stop = rss_mb(), [0.0], threading.Event()

def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], rss_mb())
        stop.wait(0.01)

sampler = threading.Thread(target=sample)
sampler.start()
crowd = [threading.Thread(target=photos.decode, args=(data,)) for _ in range(24)]
for t in crowd:
    t.start()
for t in crowd:
    t.join()
stop.set()
sampler.join()
print(peak[0] - before)
"""


def test_24_large_pngs_at_once_stay_bounded_in_memory():
    """Unbounded, 24 × 15 MP PNGs decoded at once took +1.2 GB; two at a time they take ~+200 MB.
    Measured in a fresh process, as a web process would be."""
    out = subprocess.run([sys.executable, "-c", CROWD], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    grown = float(out.stdout.strip().splitlines()[-1])
    assert grown < 500, f"+{grown:.0f} MB"
