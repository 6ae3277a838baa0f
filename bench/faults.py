"""Recovery from a worker killed mid-job: `python bench/faults.py [--runs 2]`.

Starts `playground serve` with its local workers (its own process, as a teacher runs it),
submits a small MNIST job, and once it is training sends `kill -9` to the worker running it.
Prints, per scenario, the seconds from the kill to: the supervisor starting a new worker
(its log line), the job training again (status running on another worker), and the job done.

  - 1 local worker: the job waits for the restarted worker (it re-queues the dead one's job at
    its start);
  - 2 local workers: the other one, alive all along, takes the job (housekeeping finds jobs of
    dead processes of its host every 2 s), before the restarted one is even ready.

Before issue 18 no worker ever came back (1 worker: never), and the job waited for the
heartbeat timeout (60 s) with 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.server import free_port  # noqa: E402

DESIGN = {"architecture": "dnn", "hidden_layers": [128], "loss": "categorical_crossentropy", "optimizer": "adam",
          "learning_rate": 0.01, "batch_size": 32, "epochs": 3, "train_subset": 20_000}


def wait(get, ok, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = get()
        if ok(value):
            return value
        time.sleep(step)
    raise SystemExit(f"timed out; last value {value}")


def run(assets: Path, workers: int) -> dict[str, float]:
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        port, log_path = free_port(), Path(tmp) / "server.log"
        env = {**os.environ, "PLAYGROUND_DATA_DIR": tmp, "PLAYGROUND_ASSETS_DIR": str(assets), "PYTHONUNBUFFERED": "1",
               "PLAYGROUND_WORKERS": str(workers), "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
        with open(log_path, "w") as log:
            proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                                    stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=url, timeout=30) as c:
                def get(path):
                    try:
                        return c.get(path).json()
                    except (httpx.HTTPError, ValueError):
                        return None

                wait(lambda: get("/api/workers"), lambda w: w and len(w) >= workers, 240, 0.5)
                job_id = c.post("/api/jobs", json=DESIGN).json()["id"]
                job = wait(lambda: get(f"/api/jobs/{job_id}"), lambda j: j and j["status"] == "running", 120)
                victim = job["worker"]
                os.kill(int(victim.rsplit(":", 1)[1]), signal.SIGKILL)
                killed = time.monotonic()
                wait(lambda: log_path.read_text(errors="replace"), lambda t: "started again" in t, 30)
                restarted = time.monotonic() - killed
                wait(lambda: get(f"/api/jobs/{job_id}"), lambda j: j and j["status"] == "running" and j["worker"] != victim,
                     300)
                again = time.monotonic() - killed
                done = wait(lambda: get(f"/api/jobs/{job_id}"), lambda j: j and j["status"] not in ("queued", "running"), 600)
                assert done["status"] == "succeeded", done
                return {"restarted": restarted, "training again": again, "done": time.monotonic() - killed}
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", default=str(ROOT.parent / "shared"))
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    print(f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    for workers in (1, 2):
        runs = [run(Path(args.assets), workers) for _ in range(args.runs)]
        parts = ", ".join(f"{k} {statistics.median(r[k] for r in runs):.1f} s" for k in runs[0])
        print(f"{workers} local worker(s), kill -9 of the one training → {parts} (median of {args.runs})", flush=True)


if __name__ == "__main__":
    main()
