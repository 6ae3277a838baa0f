"""A lecture hall drawing digits at once: `python bench/hall_draw.py [--students 300] [--seconds 30]`.

Starts the real server (`playground serve --no-worker`, its own process), opens a class, and has N
phones join it, each keeping its event stream open (GET /api/classes/{code}/events) for the whole
run. Then every phone draws as the digit page does: the pen is down a third of the time (strokes of
0.6–1.4 s, then twice as long with the pen up, at random moments); while it is down the page asks
for a prediction every 150 ms — at most one request in flight, so the next one waits for the
answer — and the end of every stroke is always asked. Like static/js/digits.js, a phone asks less
often while answers are slow (3× the recent answer time, 150 ms … 1.2 s; `--fixed` turns that off).

Two phases, with the same class and the same open streams, in this one run:

  1. before (`--baseline-seconds`, 0 to skip): what the page sent before issue 19 — the canvas as a
     PNG, multipart, to the htmx fragment POST /digits/predict (CNN and DNN side by side);
  2. now (`--seconds`): the canvas's ink box, deflated, to POST /digits/ink (CNN and DNN).

It prints, per phase, the prediction latency each phone saw (p50, p99, and the worst phone's p99),
predictions per second offered and answered, errors (any answer but 200, any broken connection),
the server's CPU per prediction (from /proc, everything the process did: streams and the class's
recorder included) and the ratio between the phases; at the end how many event streams dropped
(target 0: each must stay open until the teacher ends the class, and then hear the end). Target
for phase 2: p99 ≤ 250 ms, 0 errors, 0 dropped streams. The phones run in several load-generator
processes on this same machine (raw asyncio HTTP, cheaper than any HTTP client library), so the
server has less than the machine's cores: the figures are an upper bound on the server alone.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import start_server  # noqa: E402

TEACHER = "bench-hall-teacher-token"
BOUNDARY = "benchhallboundary"
MIN_INTERVAL, MAX_INTERVAL, SLOWDOWN = 0.150, 1.2, 3.0  # as static/js/digits.js
PHASES = ("before", "now")
KEEP_ALIVE_S = 4.0  # uvicorn closes a keep-alive connection idle for 5 s


def canvas_drawings(assets: Path, n: int = 40) -> list[tuple[bytes, bytes, int, int]]:
    """Synthetic canvas drawings of MNIST test digits: (PNG, deflated ink box, w, h) for each."""
    from PIL import Image

    from app.ml.digit_drawings import drawing
    from app.ml.digits import ink_box

    with np.load(assets / "datasets" / "mnist.npz") as data:
        x, y = data["x_test"][:n], data["y_test"][:n]
    rng = np.random.default_rng(19)
    out = []
    for i in range(n):
        png = drawing(x[i], int(y[i]), rng, fmt="transparent")[0]
        with Image.open(io.BytesIO(png)) as image:
            box = np.ascontiguousarray(ink_box(np.asarray(image.convert("RGBA"))[..., 3]))
        out.append((png, zlib.compress(box.tobytes(), 6), box.shape[1], box.shape[0]))
    return out


def fragment_request(png: bytes, cookie: str) -> bytes:
    """What the page sent before: the PNG to the htmx fragment, both models."""
    body = "".join(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                   for k, v in (("model", "digits-cnn"), ("vs", "digits-dnn"))).encode()
    body += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"digit.png\"\r\n"
             f"Content-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{BOUNDARY}--\r\n".encode()
    return (f"POST /digits/predict HTTP/1.1\r\nHost: hall\r\nHX-Request: true\r\nCookie: {cookie}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def ink_request(ink: bytes, w: int, h: int, cookie: str) -> bytes:
    """What the page sends now: the deflated ink box to POST /digits/ink, both models."""
    return (f"POST /digits/ink?model=digits-cnn&vs=digits-dnn&w={w}&h={h} HTTP/1.1\r\nHost: hall\r\nCookie: {cookie}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Encoding: deflate\r\n"
            f"Content-Length: {len(ink)}\r\n\r\n").encode() + ink


async def exchange(reader, writer, payload: bytes) -> tuple[int, dict[str, list[str]], bytes]:
    writer.write(payload)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    body = await reader.readexactly(int(headers.get("content-length", ["0"])[0]))
    return int(lines[0].split()[1]), headers, body


class Phone:
    """One learner's phone: a connection for its predictions and one for its event stream."""

    def __init__(self, k: int, host: str, port: int) -> None:
        self.k, self.host, self.port = k, host, port
        self.cookie = f"pg_browser=hall-{k}"
        self.rng = random.Random(k)
        self.latencies: dict[str, list[float]] = {p: [] for p in PHASES}
        self.errors: dict[str, int] = {p: 0 for p in PHASES}
        self.statuses: dict[str, dict[int, int]] = {p: {} for p in PHASES}
        self.slowed: dict[str, int] = {p: 0 for p in PHASES}  # asks made at a slower rate than 150 ms
        self.stream_open = asyncio.Event()
        self.ended = False
        self.dropped = False
        self.conn = None
        self.last_used = 0.0

    async def connect(self):
        self.conn = await asyncio.open_connection(self.host, self.port)

    async def join(self, code: str) -> bool:
        await self.connect()
        body = json.dumps({"nickname": f"學生{self.k:03d}"}).encode()
        status, headers, _ = await exchange(*self.conn, (
            f"POST /api/classes/{code}/join HTTP/1.1\r\nHost: hall\r\nCookie: {self.cookie}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body)
        if status != 200:
            return False
        cookies = [c.split(";", 1)[0] for c in headers.get("set-cookie", [])]
        self.cookie = "; ".join([self.cookie] + cookies)
        return True

    async def stream(self, code: str) -> None:
        """The event stream, open until the class ends; a stream closed before that is a drop."""
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            writer.write(f"GET /api/classes/{code}/events HTTP/1.1\r\nHost: hall\r\nAccept: text/event-stream\r\n"
                         f"Cookie: {self.cookie}\r\n\r\n".encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            if b" 200 " not in head.split(b"\r\n", 1)[0]:
                self.dropped = True
                return
            seen = b""
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                seen = (seen + chunk)[-4096:]
                if b"event: hello" in seen:
                    self.stream_open.set()
                if b"event: end" in seen:
                    self.ended = True
                    break
            writer.close()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self.dropped = self.dropped or not self.ended
            self.stream_open.set()

    async def ask(self, phase: str, payload: bytes) -> float:
        started = time.perf_counter()
        try:
            if self.conn is None or started - self.last_used > KEEP_ALIVE_S:
                # as a browser does: a connection idle for longer than the server keeps it is not reused
                if self.conn is not None:
                    self.conn[1].close()
                await self.connect()
            status, _, _ = await exchange(*self.conn, payload)
            self.last_used = time.perf_counter()
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.errors[phase] += 1
            self.conn = None
            return time.perf_counter() - started
        elapsed = time.perf_counter() - started
        self.statuses[phase][status] = self.statuses[phase].get(status, 0) + 1
        if status == 200:
            self.latencies[phase].append(elapsed * 1000)
        else:
            self.errors[phase] += 1
        return elapsed

    async def draw(self, phase: str, requests: list[bytes], seconds: float, adaptive: bool) -> None:
        """Strokes with the pen down a third of the time, asking as the page asks."""
        loop = asyncio.get_running_loop()
        stop = loop.time() + seconds
        smoothed = 0.0
        interval = MIN_INTERVAL
        i = self.rng.randrange(len(requests))
        await asyncio.sleep(self.rng.uniform(0, 3.0))  # the hall does not start in step
        while loop.time() < stop:
            down = self.rng.uniform(0.6, 1.4)
            stroke_end = min(loop.time() + down, stop)
            while True:  # the pen is down: live answers
                sent = loop.time()
                elapsed = await self.ask(phase, requests[i % len(requests)])
                i += 1
                if adaptive:
                    smoothed = (smoothed + elapsed) / 2 if smoothed else elapsed
                    interval = min(MAX_INTERVAL, max(MIN_INTERVAL, SLOWDOWN * smoothed))
                    self.slowed[phase] += interval > MIN_INTERVAL * 1.01
                following = max(sent + interval, loop.time())
                if following >= stroke_end:
                    break
                await asyncio.sleep(following - loop.time())
            await asyncio.sleep(max(0.0, stroke_end - loop.time()))
            await self.ask(phase, requests[i % len(requests)])  # the end of the stroke: always asked
            i += 1
            await asyncio.sleep(max(0.0, min(2 * down, stop - loop.time())))  # the pen is up


def phones(host: str, port: int, code: str, first: int, count: int, args, drawings, barrier, results) -> None:
    results.put(asyncio.run(_phones(host, port, code, first, count, args, drawings, barrier)))


async def _phones(host, port, code, first, count, args, drawings, barrier) -> dict:
    loop = asyncio.get_running_loop()
    hall = [Phone(first + k, host, port) for k in range(count)]
    gate = asyncio.Semaphore(5)  # a hall joins a few at a time

    async def join(phone: Phone) -> bool:
        async with gate:
            return await phone.join(code)

    joined = await asyncio.gather(*(join(p) for p in hall))
    hall = [p for p, ok in zip(hall, joined) if ok]
    streams = [asyncio.create_task(p.stream(code)) for p in hall]
    await asyncio.wait_for(asyncio.gather(*(p.stream_open.wait() for p in hall)), timeout=60)
    cpu = {}
    for phase, seconds in (("before", args.baseline_seconds), ("now", args.seconds)):
        await loop.run_in_executor(None, barrier.wait, 300)  # every phone ready: go
        if seconds <= 0:
            continue
        started = time.process_time()
        build = fragment_request if phase == "before" else None
        await asyncio.gather(*(p.draw(phase, [build(png, p.cookie) if build else ink_request(ink, w, h, p.cookie)
                                              for png, ink, w, h in drawings], seconds, not args.fixed) for p in hall))
        cpu[phase] = time.process_time() - started
    await loop.run_in_executor(None, barrier.wait, 300)  # done drawing; the teacher ends the class now
    await asyncio.wait(streams, timeout=20)
    return {"latencies": {ph: [v for p in hall for v in p.latencies[ph]] for ph in PHASES},
            "phone_p99": {ph: [float(np.percentile(p.latencies[ph], 99)) for p in hall if p.latencies[ph]] for ph in PHASES},
            "errors": {ph: sum(p.errors[ph] for p in hall) for ph in PHASES},
            "slowed": {ph: sum(p.slowed[ph] for p in hall) for ph in PHASES},
            "statuses": {ph: merge_counts(p.statuses[ph] for p in hall) for ph in PHASES},
            "joined": len(hall), "join_failures": count - len(hall), "cpu": cpu,
            "dropped": sum(p.dropped for p in hall), "ended": sum(p.ended for p in hall)}


def merge_counts(counts) -> dict[int, int]:
    out: dict[int, int] = {}
    for c in counts:
        for k, v in c.items():
            out[k] = out.get(k, 0) + v
    return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_waits(pid: int) -> dict[str, int]:
    """For each thread of the process, how long (ns) it was ready to run but waited for a core
    (Linux schedstat): the share of the machine that other processes took."""
    waits = {}
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                waits[task] = int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                pass
    except OSError:
        pass
    return waits


def waited_seconds(before: dict[str, int], after: dict[str, int]) -> float:
    return sum(ns - before.get(task, 0) for task, ns in after.items()) / 1e9  # threads that ended are not counted


def teacher_call(host: str, port: int, method: str, path: str) -> tuple[int, bytes]:
    async def call():
        reader, writer = await asyncio.open_connection(host, port)
        status, _, body = await exchange(reader, writer, (
            f"{method} {path} HTTP/1.1\r\nHost: hall\r\nAuthorization: Bearer {TEACHER}\r\nContent-Length: 0\r\n\r\n").encode())
        writer.close()
        return status, body
    return asyncio.run(call())


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the 'now' phase (POST /digits/ink)")
    parser.add_argument("--baseline-seconds", type=float, default=15.0, help="length of the 'before' phase (the PNG fragment); 0: skip")
    parser.add_argument("--processes", type=int, default=3, help="load-generator processes the phones are spread over")
    parser.add_argument("--fixed", action="store_true", help="ask every 150 ms however slow the answers (no adaptive rate)")
    parser.add_argument("--assets", default=str(ROOT.parent / "shared"))
    args = parser.parse_args()
    args.students = max(1, min(args.students, 600))
    args.processes = max(1, min(args.processes, args.students, 16))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # 2 connections per phone, both ends on this machine
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 8 * args.students + 256)), hard))

    drawings = canvas_drawings(Path(args.assets))
    with tempfile.TemporaryDirectory(prefix="bench-hall-") as tmp:
        proc, url = start_server(Path(args.assets), Path(tmp), env={"PLAYGROUND_TEACHER_TOKEN": TEACHER})
        host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
        port = int(port)
        try:
            status, body = teacher_call(host, port, "POST", "/api/classes")
            code = json.loads(body)["code"]
            print(f"server {url} · class {code} · {args.students} phones in {args.processes} load-generator processes · "
                  f"pens down 1/3 of the time, a prediction every 150 ms while drawing"
                  f"{' (fixed rate)' if args.fixed else ' (adaptive, as the page)'} · {os.cpu_count()} cores shared by "
                  f"the server and the phones · load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
            context = multiprocessing.get_context("fork")
            barrier, results = context.Barrier(args.processes + 1), context.Queue()
            share = [args.students // args.processes + (1 if i < args.students % args.processes else 0) for i in range(args.processes)]
            procs = [context.Process(target=phones, args=(host, port, code, sum(share[:i]), n, args, drawings, barrier, results),
                                     daemon=True) for i, n in enumerate(share)]
            for p in procs:
                p.start()
            server_cpu = {}
            for phase, seconds in (("before", args.baseline_seconds), ("now", args.seconds)):
                barrier.wait(300)  # all joined, streams open (first), or the last phase done
                c0, w0, t0 = cpu_seconds(proc.pid), cpu_waits(proc.pid), time.perf_counter()
                if seconds > 0:
                    print(f"phase {phase}: {seconds:g} s …", flush=True)
                    time.sleep(seconds + 0.2)
                server_cpu[phase] = (cpu_seconds(proc.pid) - c0, time.perf_counter() - t0, waited_seconds(w0, cpu_waits(proc.pid)),
                                     os.getloadavg()[0])
            barrier.wait(300)  # phones stopped drawing (the last answers are in by now)
            teacher_call(host, port, "DELETE", f"/api/classes/{code}")
            parts = [results.get(timeout=120) for _ in procs]
            for p in procs:
                p.join(10)
        finally:
            proc.terminate()
            proc.wait(10)

    joined = sum(p["joined"] for p in parts)
    print(f"\n== a hall drawing: {joined} phones joined (join failures {sum(p['join_failures'] for p in parts)}), "
          f"each with its event stream open ==")
    per_prediction = {}
    for phase, seconds in (("before", args.baseline_seconds), ("now", args.seconds)):
        if seconds <= 0:
            continue
        latencies = [v for p in parts for v in p["latencies"][phase]]
        phone_p99 = [v for p in parts for v in p["phone_p99"][phase]]
        errors = sum(p["errors"][phase] for p in parts)
        statuses = merge_counts(p["statuses"][phase] for p in parts)
        cpu, wall, waited, load = server_cpu[phase]
        answered = sum(statuses.values())
        per_prediction[phase] = cpu / max(answered, 1) * 1000
        slowed = sum(p["slowed"][phase] for p in parts)
        what = "PNG multipart → POST /digits/predict (fragment)" if phase == "before" else "ink box → POST /digits/ink"
        print(f"{phase:6s} {what}, CNN + DNN")
        print(f"       {answered / seconds:.0f} predictions/s answered (a third of {joined} pens down, one every 150 ms ≈ {joined / 3 / 0.15:.0f}/s, "
              f"and each stroke's end); latency p50 {pct(latencies, 50):.1f} ms, p99 {pct(latencies, 99):.1f} ms, worst phone's p99 "
              f"{max(phone_p99 or [float('nan')]):.1f} ms; statuses {statuses}, errors {errors}")
        print(f"       server CPU {cpu / wall:.2f} cores → {per_prediction[phase]:.2f} ms per prediction (all-in: streams, "
              f"recorder); phones' CPU {sum(p['cpu'].get(phase, 0) for p in parts) / seconds:.2f} cores; "
              f"asks at a slowed rate: {slowed / max(answered, 1):.1%}")
        print(f"       the server's threads, ready to run, waited for a core {waited / wall:.2f} s per second "
              f"(taken by other processes; load average {load:.1f} at the end of the phase)")
    if len(per_prediction) == 2:
        print(f"ratio before/now: server CPU per prediction {per_prediction['before'] / per_prediction['now']:.2f}×")
    dropped, ended = sum(p["dropped"] for p in parts), sum(p["ended"] for p in parts)
    print(f"event streams: dropped {dropped}, heard the end of the class {ended}/{joined}")
    now = [v for p in parts for v in p["latencies"]["now"]]
    ok = bool(now) and pct(now, 99) <= 250 and sum(p["errors"]["now"] for p in parts) == 0 and dropped == 0 and ended == joined
    print(f"target (now): p99 ≤ 250 ms, 0 errors, 0 dropped streams: {'met' if ok else 'NOT MET'} · load average after: "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
