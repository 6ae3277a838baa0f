"""Frame rate of the 2-D GAN (/gan) on a phone-sized screen: `python bench/gan2d.py [--seconds 10]`.

Starts the real server (`playground serve --no-worker`, its own process) and headless Chromium at
390 × 844 with touch, as a phone, on the ring of 8 Gaussians, then in the same page:

  1. baseline: the engine alone (static/js/gan.js, one D step + one G step per round, batch 64 +
     64, networks 2-16-16-2 and 2-16-16-1), no drawing: steps per second;
  2. one picture: how long draw() takes (heat map of D on 40 × 40 points, 300 real points,
     300 fakes with their push arrows, the loss chart), averaged over 50 pictures;
  3. play, tapped: frames per second and steps per second on the wall clock for --seconds,
     and the share of the engine's speed that is left while drawing every frame.

It prints the machine's load average before and after: on a shared machine the absolute figures
move with the load, the ratio less so. A real phone is slower than a desktop core; the page stays
responsive because each frame runs steps for at most 10 ms and then draws once.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PLAYGROUND_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    if (ROOT.parent / "shared").exists() and "PLAYGROUND_ASSETS_DIR" not in env:
        env["PLAYGROUND_ASSETS_DIR"] = str(ROOT.parent / "shared")
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--no-worker", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(url + "/gan", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start in 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to play")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp) / "data")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS, headless=True)
                context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                              device_scale_factor=1)
                page = context.new_page()
                page.goto(url + "/gan?dist=ring&seed=1")
                engine = page.evaluate("""() => {
                    const gan = new GAN.Gan({dist: "ring", seed: 1}), t0 = performance.now();
                    let rounds = 0;
                    while (performance.now() - t0 < 3000) { gan.dStep(0.003); gan.gStep(0.003); rounds++; }
                    return 2 * rounds / (performance.now() - t0) * 1000;
                }""")
                draw_ms = page.evaluate("""() => {
                    const t0 = performance.now();
                    for (let i = 0; i < 50; i++) { ganLab.measure(); ganLab.draw(); }
                    return (performance.now() - t0) / 50;
                }""")
                page.locator("#gan-play").tap()
                page.wait_for_timeout(1000)  # warm up
                s0, f0, t0 = page.evaluate("ganLab.gan.dSteps + ganLab.gan.gSteps"), page.evaluate("ganLab.frames"), time.monotonic()
                page.wait_for_timeout(int(args.seconds * 1000))
                s1, f1, q = page.evaluate("[ganLab.gan.dSteps + ganLab.gan.gSteps, ganLab.frames, ganLab.quality()]")
                wall = time.monotonic() - t0
                page.locator("#gan-play").tap()
                browser.close()
        finally:
            proc.terminate()
            proc.wait(10)
    fps, sps = (f1 - f0) / wall, (s1 - s0) / wall
    print(f"/gan in headless Chromium at 390 x 844 px (ring, seed 1), load average before {load_before[0]:.1f}, "
          f"after {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  engine alone (baseline): {engine:.0f} steps/s (D and G steps, batch 64 + 64)")
    print(f"  one picture (score + heat map + points + arrows + loss chart): {draw_ms:.1f} ms")
    print(f"  playing for {wall:.1f} s: {fps:.1f} frames/s, {sps:.0f} steps/s = {sps / engine:.2f} x the engine alone")
    print(f"  after {s1} steps: fake->real {q['fakeToReal']:.3f}, real->fake {q['realToFake']:.3f}")


if __name__ == "__main__":
    main()
