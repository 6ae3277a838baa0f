"""Benchmark of the digit lab: `python bench/digits.py [--seconds 10] [--clients 50]`.

Starts the real server (`playground serve`, its own process), sends it canvas drawings as a
browser does and prints, for each request path (`--paths`, all four by default, in this same run):

  - api:      a 280×280 transparent PNG, multipart, to POST /api/digits/predict (CNN) — the old baseline
  - ink:      the canvas's ink box, deflated, to POST /digits/ink (CNN) — the page's live path
  - page:     what the page used to send: the PNG, multipart, to the htmx fragment POST /digits/predict
              (CNN and DNN side by side, the default page)
  - page-ink: what the page sends now: the ink box to POST /digits/ink, CNN and DNN

and for each:

  - the server's own time per prediction (decode + preprocess + model), from its Server-Timing
    header: p50 and p99 over sequential requests (target: p50 ≤ 5 ms with the CNN);
  - sustained predictions per second with N concurrent clients sending flat out, and their
    latency p50/p99 (targets: ≥ 300/s with 50 clients, p99 ≤ 100 ms) — flat out, latency is
    clients ÷ throughput by Little's law, so also
  - a classroom: N clients each sending at the page's live-drawing pace (one per 150 ms);
  - the server's CPU time per prediction (from /proc), which other load on the machine barely changes,
    and its ratio between the old and the new path (api/ink, page/page-ink);
  - the baseline measured in this same run: Keras `model.predict()` on one image (what a
    notebook does), a direct Keras call, and LiteRT — and the ratio against the server;
  - how many synthetic canvas drawings the default CNN reads correctly (target ≥ 98 %).

The load generator runs on the same machine as the server, so the throughput is a lower bound.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import os
import re
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.ml.digit_drawings import drawing  # noqa: E402
from app.ml.digits import ink_box, preprocess, probabilities, read_ink_box, to_mnist  # noqa: E402
from app.ml.mnist import load_mnist  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench.profile import record, stages  # noqa: E402
from bench.server import start_server  # noqa: E402

BOUNDARY = "benchdigitsboundary"


def request_bytes(port: int, png: bytes, model: str = "cnn", path: str = "/api/digits/predict", vs: str | None = None,
                  extra: str = "") -> bytes:
    """One HTTP/1.1 keep-alive multipart POST, prebuilt (the client must cost less than the server)."""
    fields = [("model", model)] + ([("vs", vs)] if vs else [])
    body = "".join(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n" for k, v in fields).encode()
    body += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"digit.png\"\r\n"
             f"Content-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{BOUNDARY}--\r\n".encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n"
            f"Cookie: pg_browser=bench\r\n{extra}\r\n").encode()
    return head + body


def canvas_ink(png: bytes) -> np.ndarray:
    """What the page sends for a canvas: its alpha channel cut to the ink's box (digits_canvas.js inkBox())."""
    with Image.open(io.BytesIO(png)) as image:
        return np.ascontiguousarray(ink_box(np.asarray(image.convert("RGBA"))[..., 3]))


def ink_request_bytes(port: int, png: bytes, model: str = "cnn", vs: str = "none") -> bytes:
    """The page's live request: POST /digits/ink with the deflated ink box (what digits.js sends)."""
    ink = canvas_ink(png)
    body = zlib.compress(ink.tobytes(), 6)
    head = (f"POST /digits/ink?model={model}&vs={vs}&w={ink.shape[1]}&h={ink.shape[0]} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nContent-Type: application/octet-stream\r\nContent-Encoding: deflate\r\n"
            f"Content-Length: {len(body)}\r\nCookie: pg_browser=bench\r\n\r\n").encode()
    return head + body


PATHS = {  # name → (what it is, how to build its request)
    "api": ("PNG multipart → POST /api/digits/predict, CNN (the old baseline)", lambda port, png: request_bytes(port, png)),
    "ink": ("ink box → POST /digits/ink, CNN", lambda port, png: ink_request_bytes(port, png)),
    "page": ("the page before: PNG multipart → the htmx fragment POST /digits/predict, CNN + DNN",
             lambda port, png: request_bytes(port, png, "digits-cnn", "/digits/predict", "digits-dnn", "HX-Request: true\r\n")),
    "page-ink": ("the page now: ink box → POST /digits/ink, CNN + DNN",
                 lambda port, png: ink_request_bytes(port, png, "digits-cnn", "digits-dnn")),
}


async def exchange(reader, writer, payload: bytes) -> tuple[int, dict[str, str], bytes]:
    writer.write(payload)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to measure the server's cost per request
    independently of what else runs on the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def app_ms(headers: dict[str, str]) -> float:
    return float(re.search(r"app;dur=([0-9.]+)", headers["server-timing"]).group(1))


async def sequential(port: int, payloads: list[bytes], n: int) -> tuple[list[float], list[float]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    server, client = [], []
    for i in range(n):
        started = time.perf_counter()
        status, headers, _ = await exchange(reader, writer, payloads[i % len(payloads)])
        client.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
        server.append(app_ms(headers))
    writer.close()
    return server, client


async def concurrent(port: int, payloads: list[bytes], clients: int, seconds: float,
                     every_ms: float = 0.0) -> tuple[int, int, list[float]]:
    """`clients` connections; each sends its next request as soon as the last answer came, or, with
    every_ms, not sooner than every_ms after the previous one (the page's live-drawing throttle)."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def one_client(k: int):
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = k
        if every_ms:  # learners start drawing at different moments, not all in the same millisecond
            await asyncio.sleep(random.Random(k).uniform(0, every_ms / 1000))
        while time.perf_counter() < stop:
            started = time.perf_counter()
            status, _, _ = await exchange(reader, writer, payloads[i % len(payloads)])
            latencies.append((time.perf_counter() - started) * 1000)
            errors += status != 200
            i += clients
            if every_ms:
                await asyncio.sleep(max(0.0, every_ms / 1000 - (time.perf_counter() - started)))
        writer.close()

    await asyncio.gather(*(one_client(k) for k in range(clients)))
    return len(latencies), errors, latencies


def baseline(settings: Settings, image: np.ndarray, repeats: int = 30) -> dict[str, float]:
    """Per-image cost of model.predict(), a direct Keras call and LiteRT, in this same run (ms, median)."""
    import keras

    from app.ml.registry import BUILTIN_DIR, LiteRTPredictor

    model = keras.saving.load_model(BUILTIN_DIR / "digits-cnn.keras", compile=False)
    x = image.reshape(1, 28, 28, 1).astype(np.float32)
    lite = LiteRTPredictor(BUILTIN_DIR / "digits-cnn.tflite", pool_size=1)
    out = {}
    for name, fn in [("model.predict", lambda: model.predict(x, verbose=0)), ("keras call", lambda: model(x, training=False)),
                     ("litert", lambda: lite.predict(x))]:
        fn()
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        out[name] = float(np.median(times))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each concurrent run")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--sequential", type=int, default=400, help="sequential requests for the server-side time")
    parser.add_argument("--drawings", type=int, default=1000, help="synthetic drawings for the accuracy check")
    parser.add_argument("--paths", default=",".join(PATHS), help=f"request paths to measure, of {', '.join(PATHS)}")
    parser.add_argument("--profile", metavar="DIR", help="also sample the server with py-spy during each flat-out run "
                        "(DIR/<path>.txt) and print where its time went (bench/profile.py); py-spy pauses the server to read "
                        "its stacks, so take the CPU figures from a run without it")
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras baseline (it loads TensorFlow)")
    parser.add_argument("--assets", default=str(ROOT.parent / "shared"), help="folder with datasets/mnist.npz")
    args = parser.parse_args()
    paths = [p for p in args.paths.split(",") if p]
    assert set(paths) <= set(PATHS), f"--paths: choose from {', '.join(PATHS)}"

    settings = Settings(data_dir=Path(tempfile.mkdtemp()), assets_dir=Path(args.assets), workers=0)
    mnist = load_mnist(settings)
    rng = np.random.default_rng(2026)
    picks = rng.choice(len(mnist.x_test), args.drawings, replace=False)
    drawings = [drawing(mnist.x_test[i], mnist.y_test[i], rng) for i in picks]
    canvas = [drawing(mnist.x_test[i], mnist.y_test[i], rng, fmt="transparent") for i in picks]
    canvas_pngs = [png for png, _ in canvas[:200]]
    inks = [zlib.compress(canvas_ink(png).tobytes(), 6) for png in canvas_pngs]
    print(f"canvas PNGs: 280×280, mean {np.mean([len(p) for p in canvas_pngs]) / 1024:.1f} kB; "
          f"their ink boxes deflated: mean {np.mean([len(z) for z in inks]) / 1024:.1f} kB")
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} cores", flush=True)

    base = None if args.no_keras else baseline(settings, preprocess(canvas_pngs[0]))

    results = {}
    proc, url = start_server(Path(args.assets), settings.data_dir)
    port = int(url.rsplit(":", 1)[1])
    try:
        for name in paths:
            payloads = [PATHS[name][1](port, png) for png in canvas_pngs]
            asyncio.run(sequential(port, payloads, 50))  # warm up
            server_ms, client_ms = asyncio.run(sequential(port, payloads, args.sequential))
            spy = record(proc.pid, Path(args.profile) / f"{name}.txt", args.seconds - 1) if args.profile else None
            cpu_before = cpu_seconds(proc.pid)
            count, errors, latencies = asyncio.run(concurrent(port, payloads, args.clients, args.seconds))
            cpu_ms = (cpu_seconds(proc.pid) - cpu_before) / max(count, 1) * 1000
            if spy is not None:
                spy.wait(30)
            paced = asyncio.run(concurrent(port, payloads, args.clients, args.seconds, every_ms=150))
            results[name] = {"server_ms": server_ms, "client_ms": client_ms, "count": count, "errors": errors,
                             "latencies": latencies, "cpu_ms": cpu_ms, "paced": paced}
            print(f"  measured {name}: server CPU {cpu_ms:.2f} ms per prediction", flush=True)
    finally:
        proc.terminate()
        proc.wait(10)

    # accuracy of the default CNN on synthetic canvas drawings (served the same way: LiteRT), through the
    # reference path (any image format) and through the page's live path (transparent canvases: PNG vs ink box)
    from app.ml.registry import ModelRegistry

    predictor = ModelRegistry(settings).predictor("digits-cnn")
    read = lambda picture: int(np.argmax(probabilities(predictor, picture)))  # noqa: E731
    right = sum(read(preprocess(data)) == label for data, label in drawings)
    right_png = right_ink = same = 0
    for png, label in canvas:
        box = canvas_ink(png)
        from_png, from_ink = preprocess(png), to_mnist(read_ink_box(zlib.compress(box.tobytes()), box.shape[1], box.shape[0], True))
        right_png += read(from_png) == label
        right_ink += read(from_ink) == label
        same += bool(np.array_equal(from_png, from_ink))

    print("\n== digit lab benchmark (CNN, LiteRT; server and load generator share this machine) ==")
    if base:
        print(f"baseline, same run: model.predict() {base['model.predict']:.2f} ms · direct Keras call {base['keras call']:.2f} ms"
              f" · LiteRT invoke {base['litert']:.3f} ms (per image, median)")
    for name, r in results.items():
        p50 = float(np.percentile(r["server_ms"], 50))
        print(f"-- {name}: {PATHS[name][0]}")
        print(f"   server-side time per prediction (preprocess + model, Server-Timing): "
              f"p50 {p50:.2f} ms, p99 {np.percentile(r['server_ms'], 99):.2f} ms   [target p50 ≤ 5 ms]"
              + (f" · model.predict() / this = {base['model.predict'] / p50:.1f}×" if base else ""))
        print(f"   sequential round trip seen by one client: p50 {np.percentile(r['client_ms'], 50):.2f} ms")
        print(f"   {args.clients} concurrent clients flat out for {args.seconds:.0f} s: {r['count'] / args.seconds:.0f} predictions/s, "
              f"latency p50 {np.percentile(r['latencies'], 50):.1f} ms, p99 {np.percentile(r['latencies'], 99):.1f} ms, "
              f"{r['errors']} errors   [target ≥ 300/s, p99 ≤ 100 ms]")
        paced_count, paced_errors, paced_latencies = r["paced"]
        print(f"   a classroom: {args.clients} learners drawing at once, each page asking every 150 ms "
              f"(≈{args.clients * 1000 / 150:.0f}/s offered): {paced_count / args.seconds:.0f} predictions/s, latency p50 "
              f"{np.percentile(paced_latencies, 50):.1f} ms, p99 {np.percentile(paced_latencies, 99):.1f} ms, {paced_errors} errors")
        print(f"   server CPU per prediction under load: {r['cpu_ms']:.2f} ms (all threads) → about {1000 / r['cpu_ms']:.0f}/s "
              f"per free core   [target ≤ 1.5 ms for the live path]")
    for old, new in (("api", "ink"), ("page", "page-ink")):
        if old in results and new in results:
            print(f"ratio, server CPU per prediction {old} / {new}: {results[old]['cpu_ms'] / results[new]['cpu_ms']:.2f}× "
                  f"({results[old]['cpu_ms']:.2f} → {results[new]['cpu_ms']:.2f} ms)")
    for name in results if args.profile else ():
        raw = Path(args.profile) / f"{name}.txt"
        if raw.exists():
            print(f"where the server's time went, {name} (py-spy, samples with the GIL held): " +
                  " · ".join(f"{what} {share:.0%}" for what, share in stages(raw) if share >= 0.015))
    print(f"load average now {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"default CNN reads {right / len(drawings):.1%} of {len(drawings)} synthetic canvas drawings (PNG, JPEG, WebP)"
          f"   [target ≥ 98 %]")
    print(f"transparent canvases ({len(canvas)}): from the PNG {right_png / len(canvas):.1%}, from the ink box "
          f"{right_ink / len(canvas):.1%}; the same 28×28 picture both ways for {same} of {len(canvas)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
