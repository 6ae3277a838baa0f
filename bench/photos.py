"""Benchmark of the photo lab: `python bench/photos.py [--runs 30]`.

Starts the real server (`playground serve`, its own process) and uploads photos to
POST /api/photos/classify as a phone does, one at a time:

  - a 12-megapixel JPEG (../shared/photos/sun_bear_large.jpg, 5472 × 3648, progressive), the same
    photo re-encoded as a baseline JPEG (what most phone cameras write), and a 500 × 500 JPEG;
  - for each, the server's own end-to-end time from its Server-Timing header ("server": from the
    first byte of the request body to the answer — reading the upload, decoding, the network,
    the JSON), p50 and p90, plus the round trip seen by the client on this machine;
  - the baseline measured in this same run, in this process: a naive pipeline (full decode with
    Pillow, centre crop, resize, the same LiteRT model), and the ratio naive / server.

Targets: 12-megapixel JPEG p50 ≤ 50 ms, 500 × 500 JPEG p50 ≤ 15 ms (server time, two CPU cores).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from PIL import Image  # noqa: E402

from app.ml import photos  # noqa: E402
from app.ml.registry import ModelRegistry  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench.server import start_server  # noqa: E402

MODEL = "imagenet-mobilenet-v2"
TARGETS_MS = {"12 MP JPEG (progressive)": 50.0, "500 × 500 JPEG": 15.0}


def server_ms(header: str, name: str = "server") -> float:
    for part in header.split(","):
        key, _, dur = part.strip().partition(";dur=")
        if key == name:
            return float(dur)
    raise ValueError(f"no {name} in Server-Timing: {header}")


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def inputs(shared: Path) -> dict[str, bytes]:
    large = (shared / "photos" / "sun_bear_large.jpg").read_bytes()
    baseline = io.BytesIO()
    Image.open(io.BytesIO(large)).save(baseline, "JPEG", quality=92)  # baseline, like a phone camera
    small = (shared / "photos" / "asiatic_black_bear.jpg").read_bytes()
    assert Image.open(io.BytesIO(small)).size == (500, 500)
    return {"12 MP JPEG (progressive)": large, "12 MP JPEG (baseline)": baseline.getvalue(), "500 × 500 JPEG": small}


def naive_ms(registry: ModelRegistry, data: bytes, runs: int) -> tuple[float, str]:
    """Full decode + crop + resize + the same model, in this process."""
    predictor = registry.predictor(MODEL)
    times, label = [], ""
    for _ in range(runs):
        t = time.perf_counter()
        y = predictor.predict(photos.naive_decode(data)[None, ...])[0]
        times.append((time.perf_counter() - t) * 1000)
        label = str(int(y.argmax()) - 1)
    return statistics.median(times), label


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="requests per photo")
    parser.add_argument("--assets", default=str(ROOT.parent / "shared"), help="the ../shared folder")
    args = parser.parse_args()
    shared = Path(args.assets)
    photos_in = inputs(shared)
    print(f"CPU cores: {os.cpu_count()}, load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(shared, Path(tmp), ready_path="/photos")
        registry = ModelRegistry(Settings(data_dir=Path(tmp) / "bench", assets_dir=shared))
        failed = False
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                print(f"\n{'photo':26s} {'bytes':>9s} {'server p50':>11s} {'p90':>7s} {'cpu p50':>8s} {'client p50':>11s} "
                      f"{'naive p50':>10s} {'ratio':>6s}  top-1")
                for name, data in photos_in.items():
                    server, client_rt, cpu = [], [], []
                    for i in range(args.runs + 3):
                        t = time.perf_counter()
                        r = client.post("/api/photos/classify", files={"image": ("photo.jpg", data, "image/jpeg")})
                        rt = (time.perf_counter() - t) * 1000
                        r.raise_for_status()
                        if i >= 3:  # the first requests warm caches
                            server.append(server_ms(r.headers["server-timing"]))
                            cpu.append(server_ms(r.headers["server-timing"], "cpu"))
                            client_rt.append(rt)
                    naive, _ = naive_ms(registry, data, max(5, args.runs // 3))
                    p50 = statistics.median(server)
                    best = r.json()["predictions"][0]
                    target = TARGETS_MS.get(name)
                    verdict = "" if target is None else (" ✓" if p50 <= target else f" ✗ (target ≤ {target:g} ms)")
                    failed |= bool(target and p50 > target)
                    print(f"{name:26s} {len(data):9d} {p50:9.1f}ms {percentile(server, 0.9):5.1f}ms {statistics.median(cpu):6.1f}ms "
                          f"{statistics.median(client_rt):9.1f}ms {naive:8.1f}ms {naive / p50:5.1f}×  "
                          f"{best['label_en']} ({best['probability']:.2f}){verdict}")
        finally:
            proc.terminate()
            proc.wait(10)
    print("\nserver = Server-Timing 'server': first byte of the request body → answer, inside `playground serve`.")
    print("cpu = CPU time of the thread that decoded and ran the network (what an idle core would take).")
    print("naive = Pillow full decode + centre crop + resize + the same LiteRT model, in this process.")
    print("The machine's cores are shared with other work: numbers vary between runs.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
