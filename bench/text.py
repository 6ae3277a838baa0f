"""Benchmark of the text lab: `python bench/text.py [--runs 20] [--epoch-only]`.

Prints, measured in this one run:

  - the server's own time to write 100 characters with the default poem model (numpy, from the
    Server-Timing header of POST /api/text/generate on the real `playground serve`): p50 and max
    over `--runs` requests (target: ≤ 100 ms per 100 characters);
  - the baseline: the same 100 characters the naive notebook way, Keras `model.predict()` on the
    whole text so far, once per character — and the ratio against the server;
  - one training epoch of the default poem model (app/ml/text_defaults.py) with this process's
    Keras backend (KERAS_BACKEND=jax on a GPU host), the first epoch (tracing, compiling) apart.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.ml.registry import BUILTIN_DIR  # noqa: E402
from app.ml.text import Vocabulary  # noqa: E402

PROMPT, LENGTH, TEMPERATURE, SEED = "床前明月", 100, 0.8, 1
TARGET_MS = 100.0


def server_times(runs: int) -> list[float]:
    import httpx

    from bench.server import start_server

    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(os.environ.get("PLAYGROUND_TEST_ASSETS", ROOT.parent / "shared")), Path(tmp))
        try:
            body = {"model": "default", "prompt": PROMPT, "length": LENGTH, "temperature": TEMPERATURE, "seed": SEED}
            times = []
            with httpx.Client(base_url=url, timeout=30) as client:
                for i in range(runs + 1):
                    r = client.post("/api/text/generate", json=body)
                    r.raise_for_status()
                    assert len(r.json()["steps"]) == LENGTH
                    ms = float(r.headers["server-timing"].split("dur=")[1])
                    if i:  # the first request loads the model
                        times.append(ms)
            return times
        finally:
            proc.terminate()
            proc.wait(10)


def naive_predict_ms(runs: int) -> list[float]:
    """model.predict on everything written so far, for each of the 100 characters."""
    import keras

    manifest = json.loads((BUILTIN_DIR / "poems-lstm.json").read_text(encoding="utf-8"))
    vocab = Vocabulary(manifest["vocabulary"])
    model = keras.saving.load_model(BUILTIN_DIR / manifest["file"], compile=False)
    rng = np.random.default_rng(SEED)
    times = []
    for _ in range(runs):
        ids = list(vocab.encode("\n\n" + PROMPT))
        started = time.perf_counter()
        for _ in range(LENGTH):
            p = np.asarray(model.predict(np.array([ids]), verbose=0))[0, -1].astype(np.float64)
            logits = np.log(p + 1e-12) / TEMPERATURE
            p = np.exp(logits - logits.max())
            ids.append(int(rng.choice(len(p), p=p / p.sum())))
        times.append((time.perf_counter() - started) * 1000)
    return times


def epoch_seconds(epochs: int = 3) -> list[float]:
    import keras

    from app.ml.text import build_model, compile_model, corpus_ids, epoch_data
    from app.ml.text_defaults import DESIGN

    vocab, ids = corpus_ids(DESIGN)
    model = build_model(DESIGN, len(vocab))
    compile_model(model, DESIGN)
    out = []
    for epoch in range(epochs):
        x, y = epoch_data(DESIGN, ids, epoch)
        started = time.perf_counter()
        model.fit(x, y, batch_size=DESIGN.batch_size, epochs=1, verbose=0)
        out.append(time.perf_counter() - started)
    print(f"  (Keras {keras.__version__}, backend {keras.backend.backend()}, {len(x)} windows of "
          f"{DESIGN.sequence_length} characters, batch {DESIGN.batch_size})")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--epoch-only", action="store_true", help="only time training epochs (e.g. on a GPU host)")
    args = parser.parse_args()
    if not args.epoch_only:
        served = server_times(args.runs)
        p50 = float(np.median(served))
        print(f"server, numpy: {LENGTH} characters in p50 {p50:.1f} ms, max {max(served):.1f} ms over {len(served)} requests "
              f"(target ≤ {TARGET_MS:.0f} ms): {'MET' if p50 <= TARGET_MS else 'MISSED'}")
        naive = naive_predict_ms(max(1, min(3, args.runs)))
        n50 = float(np.median(naive))
        print(f"baseline, Keras model.predict per character: {LENGTH} characters in p50 {n50:.0f} ms over {len(naive)} runs")
        print(f"ratio: the server writes {n50 / p50:.0f}× faster than the naive loop")
    times = epoch_seconds()
    print(f"one epoch of the default poem model: first {times[0]:.2f} s (with tracing), then "
          f"{np.median(times[1:]):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
