"""Where a server's time goes under load: py-spy samples the thread holding the GIL (`--gil`), and
each sample is put in the group of its deepest frame that names one of the request path's stages.

    py-spy record --pid <server> --gil --threads -r 200 -f raw -o digits.txt   # while a bench runs
    python bench/profile.py digits.txt

py-spy (`pip install 'py-spy==0.4.3'`, the `bench` extra) needs ptrace rights on the server. A sample
is wall time with the GIL held, not CPU: a thread that the kernel puts aside while it holds the GIL
(on a busy machine, often right after a send wakes the client up) still counts. The CPU figures
come from /proc (bench/digits.py); this says which stage it goes to.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
from pathlib import Path

# (stage, substrings of a frame that belongs to it); the deepest matching frame of a sample decides
STAGES = [
    ("the handler's own work (query, picture → bytes, answers)", ["digits_ink", "QueryParams", "query_params"]),
    ("inflate the ink box", ["read_ink_box"]),
    ("model (LiteRT)", ["LiteRTPredictor.predict", "probabilities (app/ml/digits"]),
    ("PNG decode", ["decode_ink", "_ink_of"]),
    ("preprocess to 28×28 (to_mnist)", ["to_mnist", "even_out_strokes", "stroke_width", "_resize"]),
    ("manifest look-ups (disk)", ["find_model", "ModelRegistry.manifest", "ModelRegistry.predictor"]),
    ("classroom feed (publish_result)", ["as_pixels", "publish_result", "listener"]),
    ("JSON", ["JSONResponse", "dumps (json"]),
    ("Jinja fragment", ["render (app/web.py", "jinja2", "pixel_marks"]),
    ("sending the response (uvicorn write, wakes the client)", ["Response.__call__", "RequestResponseCycle.send"]),
    ("body read + multipart", ["read_upload", "read_body", "split_multipart", "read_form", "Request.stream", "Request.body"]),
    ("thread hand-off (anyio to_thread, limiter, queue)", ["run_sync", "to_thread", "run_in_threadpool", "CapacityLimiter",
                                                         "Queue.put", "Condition.notify", "WorkerThread", "run_limited (app"]),
    ("FastAPI dependency solving", ["solve_dependencies", "get_dependant", "get_typed_signature", "_get_signature"]),
    ("route matching", ["matches (fastapi", "_match (fastapi", "Router.__call__", "APIRouter.app"]),
    ("middleware chain", ["Middleware", "send_with", "_send (starlette", "sender (starlette", "wrapped_app", "middleware"]),
    ("uvicorn HTTP parsing", ["httptools_impl", "uvicorn/protocols"]),
    ("event loop", ["asyncio", "uvloop", "Server.run"]),
]


def stage(frames: list[str]) -> str:
    best, depth = "other", -1
    for i, frame in enumerate(frames):
        for name, keys in STAGES:
            if any(k in frame for k in keys) and i >= depth:
                best, depth = name, i
                break
    return best


def stages(raw: Path) -> list[tuple[str, float]]:
    """A py-spy raw (collapsed) profile → [(stage, share of samples)], largest first."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if stack and n.isdigit():
            counts[stage(stack.split(";")[1:])] += int(n)  # the first frame is the thread's name
    total = sum(counts.values()) or 1
    return [(name, n / total) for name, n in counts.most_common()]


def record(pid: int, out: Path, seconds: float) -> subprocess.Popen | None:
    """Start py-spy on a process for `seconds` (None when py-spy is not installed)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        return None
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--gil", "--threads", "-r", "200", "-d", str(int(seconds)),
                             "-f", "raw", "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> int:
    for name in sys.argv[1:]:
        print(f"== {name}")
        for what, share in stages(Path(name)):
            print(f"  {share:6.1%}  {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
