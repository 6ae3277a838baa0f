"""What every benchmark needs: the real server (`playground serve`) in its own process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(assets: Path, data_dir: Path, env: dict[str, str] | None = None,
                 ready_path: str = "/", root: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """`playground serve --no-worker` on a free port; returns once `ready_path` answers 200.
    `root`: the checkout whose code it runs (another one gives a baseline in the same run)."""
    port = free_port()
    env = {**os.environ, "PLAYGROUND_DATA_DIR": str(data_dir), "PLAYGROUND_ASSETS_DIR": str(assets),
           "PYTHONUNBUFFERED": "1", **(env or {})}
    log = open(data_dir / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--no-worker"],
                            cwd=root, env={**env, "PYTHONPATH": str(root)}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited:\n" + (data_dir / "server.log").read_text()[-2000:])
        try:
            if httpx.get(url + ready_path, timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start in 90 s")
