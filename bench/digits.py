"""Benchmark of the digit lab: `python bench/digits.py [--seconds 10] [--clients 50]`.

Starts the real server (`playground serve`, its own process), sends it canvas drawings as a
browser does (280×280 transparent PNGs to POST /api/digits/predict) and prints:

  - the server's own time per prediction (decode + preprocess + model), from its Server-Timing
    header: p50 and p99 over sequential requests (target: p50 ≤ 5 ms with the CNN);
  - sustained predictions per second with N concurrent clients sending flat out, and their
    latency p50/p99 (targets: ≥ 300/s with 50 clients, p99 ≤ 100 ms) — flat out, latency is
    clients ÷ throughput by Little's law, so also
  - a classroom: N clients each sending at the page's live-drawing pace (one per 150 ms);
  - the server's CPU time per prediction (from /proc), which other load on the machine barely changes;
  - the baseline measured in this same run: Keras `model.predict()` on one image (what a
    notebook does), a direct Keras call, and LiteRT — and the ratio against the server;
  - how many synthetic canvas drawings the default CNN reads correctly (target ≥ 98 %).

The load generator runs on the same machine as the server, so the throughput is a lower bound.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.ml.digit_drawings import drawing  # noqa: E402
from app.ml.digits import preprocess, probabilities  # noqa: E402
from app.ml.mnist import load_mnist  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench.server import start_server  # noqa: E402

BOUNDARY = "benchdigitsboundary"


def request_bytes(port: int, png: bytes, model: str = "cnn") -> bytes:
    """One HTTP/1.1 keep-alive multipart POST, prebuilt (the client must cost less than the server)."""
    body = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n{model}\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"digit.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{BOUNDARY}--\r\n".encode()
    head = (f"POST /api/digits/predict HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n"
            f"Cookie: pg_browser=bench\r\n\r\n").encode()
    return head + body


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
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the concurrent run")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--sequential", type=int, default=400, help="sequential requests for the server-side time")
    parser.add_argument("--drawings", type=int, default=1000, help="synthetic drawings for the accuracy check")
    parser.add_argument("--assets", default=str(ROOT.parent / "shared"), help="folder with datasets/mnist.npz")
    args = parser.parse_args()

    settings = Settings(data_dir=Path(tempfile.mkdtemp()), assets_dir=Path(args.assets), workers=0)
    mnist = load_mnist(settings)
    rng = np.random.default_rng(2026)
    picks = rng.choice(len(mnist.x_test), args.drawings, replace=False)
    drawings = [drawing(mnist.x_test[i], mnist.y_test[i], rng) for i in picks]
    canvas_pngs = [drawing(mnist.x_test[i], mnist.y_test[i], rng, fmt="transparent")[0] for i in picks[:200]]
    print(f"canvas PNGs: 280×280, mean {np.mean([len(p) for p in canvas_pngs]) / 1024:.1f} kB")

    base = baseline(settings, preprocess(canvas_pngs[0]))

    proc, url = start_server(Path(args.assets), settings.data_dir)
    port = int(url.rsplit(":", 1)[1])
    try:
        payloads = [request_bytes(port, png) for png in canvas_pngs]
        asyncio.run(sequential(port, payloads, 50))  # warm up
        server_ms, client_ms = asyncio.run(sequential(port, payloads, args.sequential))
        cpu_before = cpu_seconds(proc.pid)
        count, errors, latencies = asyncio.run(concurrent(port, payloads, args.clients, args.seconds))
        cpu_per_request = (cpu_seconds(proc.pid) - cpu_before) / max(count, 1) * 1000
        paced = asyncio.run(concurrent(port, payloads, args.clients, args.seconds, every_ms=150))
    finally:
        proc.terminate()
        proc.wait(10)

    # accuracy of the default CNN on synthetic canvas drawings (served the same way: LiteRT)
    from app.ml.registry import ModelRegistry

    predictor = ModelRegistry(settings).predictor("digits-cnn")
    right = sum(int(np.argmax(probabilities(predictor, preprocess(data))) == label) for data, label in drawings)

    p50 = float(np.percentile(server_ms, 50))
    print("\n== digit lab benchmark (CNN, LiteRT; server and load generator share this machine) ==")
    print(f"baseline, same run: model.predict() {base['model.predict']:.2f} ms · direct Keras call {base['keras call']:.2f} ms"
          f" · LiteRT invoke {base['litert']:.3f} ms (per image, median)")
    print(f"server-side time per prediction (decode + preprocess + model, Server-Timing): "
          f"p50 {p50:.2f} ms, p99 {np.percentile(server_ms, 99):.2f} ms   [target p50 ≤ 5 ms]")
    print(f"sequential round trip seen by one client: p50 {np.percentile(client_ms, 50):.2f} ms")
    print(f"ratio: model.predict() / server-side p50 = {base['model.predict'] / p50:.1f}×")
    print(f"{args.clients} concurrent clients flat out for {args.seconds:.0f} s: {count / args.seconds:.0f} predictions/s, "
          f"latency p50 {np.percentile(latencies, 50):.1f} ms, p99 {np.percentile(latencies, 99):.1f} ms, "
          f"{errors} errors   [target ≥ 300/s, p99 ≤ 100 ms]")
    paced_count, paced_errors, paced_latencies = paced
    print(f"a classroom: {args.clients} learners drawing at once, each page asking every 150 ms (≈{args.clients * 1000 / 150:.0f}/s offered): "
          f"{paced_count / args.seconds:.0f} predictions/s, latency p50 {np.percentile(paced_latencies, 50):.1f} ms, "
          f"p99 {np.percentile(paced_latencies, 99):.1f} ms, {paced_errors} errors")
    print(f"server CPU per prediction under load: {cpu_per_request:.2f} ms (all threads) → "
          f"about {1000 / cpu_per_request:.0f}/s per free core; load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"throughput vs one-at-a-time model.predict(): {count / args.seconds / (1000 / base['model.predict']):.1f}×")
    print(f"default CNN reads {right / len(drawings):.1%} of {len(drawings)} synthetic canvas drawings   [target ≥ 98 %]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
