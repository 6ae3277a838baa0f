"""Memory of the web process under a crowd of large photos: `python bench/uploads.py [--before ../main]`.

Starts the real server (`playground serve`, its own process), then posts N photos at once
(threads, like N phones) to POST /api/photos/classify and samples the server's resident memory
(/proc/<pid>/status) every 20 ms:

  - 24 PNGs of 7700 × 7700 (≈ 190 kB each, 59 megapixels: what the fault report sent), and
  - 24 PNGs of 3900 × 3900 (15 megapixels: the largest a PNG may be now, decoded in full).

For each it prints the RSS before, the peak (VmHWM) and 3 s after, and the answers' status codes.
With --before <checkout>, the same crowds also go to a server running that checkout's code (the
baseline, measured in the same run). Target (issue 18): peak < 1.5 GB with 24 at once.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from bench.server import start_server  # noqa: E402

GB = 1024 ** 3


def png(side: int) -> bytes:
    """A large, cheap-to-send PNG: a few shapes on a flat background (compresses to ~200 kB)."""
    image = Image.new("RGB", (side, side), (200, 220, 240))
    draw = ImageDraw.Draw(image)
    for i in range(8):
        draw.ellipse([i * side // 10, i * side // 12, i * side // 10 + side // 5, i * side // 12 + side // 6],
                     fill=(40 * i % 255, 90, 160))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=9)
    return out.getvalue()


def rss(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def crowd(root: Path, assets: Path, data: bytes, n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(assets, Path(tmp), root=root)
        try:
            httpx.post(url + "/api/photos/classify", files={"image": ("warm.png", png(300), "image/png")}, timeout=60)
            time.sleep(1)
            before = rss(proc.pid)
            peak, stop = [before], threading.Event()

            def sample():
                while not stop.is_set():
                    peak.append(rss(proc.pid))
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample)
            sampler.start()

            def post(i: int) -> int:
                try:
                    return httpx.post(url + "/api/photos/classify", files={"image": (f"big{i}.png", data, "image/png")},
                                      timeout=300).status_code
                except httpx.HTTPError as exc:
                    return type(exc).__name__

            started = time.perf_counter()
            with ThreadPoolExecutor(n) as pool:
                codes = Counter(pool.map(post, range(n)))
            seconds = time.perf_counter() - started
            time.sleep(3)
            stop.set()
            sampler.join()
            return {"before": before, "peak": max(max(peak), rss(proc.pid, "VmHWM")), "after": rss(proc.pid),
                    "codes": dict(codes), "seconds": seconds}
        finally:
            proc.terminate()
            proc.wait(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", default=str(ROOT.parent / "shared"))
    parser.add_argument("--before", default=None, help="another checkout (e.g. ../main): the baseline")
    parser.add_argument("-n", type=int, default=24)
    args = parser.parse_args()
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average {' '.join(load)}; {args.n} uploads at once to POST /api/photos/classify")
    roots = [("this checkout", ROOT)] + ([("before", Path(args.before).resolve())] if args.before else [])
    for side in (7700, 3900):
        data = png(side)
        for name, root in roots:
            r = crowd(root, Path(args.assets), data, args.n)
            print(f"{side}×{side} PNG ({len(data) / 1024:.0f} kB) × {args.n}, {name}: RSS {r['before'] / GB:.2f} GB → "
                  f"peak {r['peak'] / GB:.2f} GB (+{(r['peak'] - r['before']) / GB:.2f}) → {r['after'] / GB:.2f} GB 3 s later; "
                  f"answers {r['codes']} in {r['seconds']:.1f} s", flush=True)


if __name__ == "__main__":
    main()
