"""The "rnn_memory" job kind: can a SimpleRNN / an LSTM remember the first symbol after N steps?

    run_memory_job(settings, job_id, params, reporter)      (app/jobs/kinds.py; worker side)

The task (slides 229–232): a sequence of N + 1 symbols out of SYMBOLS, each one-hot; the answer
is the FIRST symbol. Everything after it is a random distractor, so the network must carry the
first symbol through N updates of its memory. Guessing gives 1 / SYMBOLS.
For each cell and each N the job trains a tiny model (pure Keras 3, seconds on a CPU) and
scores it on fresh sequences.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

SYMBOLS = 4
TRAIN, TEST = 2048, 512
BATCH_SIZE = 32
LEARNING_RATE = 0.01
CELL_LAYERS = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def make_sequences(n: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x: (count, n + 1, SYMBOLS) one-hot symbols; y: the first symbol of each sequence."""
    symbols = rng.integers(0, SYMBOLS, size=(count, n + 1))
    return np.eye(SYMBOLS, dtype="float32")[symbols], symbols[:, 0]


def build_model(cell: str, units: int, n: int):
    import keras

    layer = getattr(keras.layers, CELL_LAYERS[cell])
    model = keras.Sequential([
        keras.Input(shape=(n + 1, SYMBOLS)),
        layer(units),
        keras.layers.Dense(SYMBOLS, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train_one(cell: str, n: int, units: int, epochs: int, seed: int) -> dict[str, float]:
    """Train one cell on the task with N distractors; its accuracy on fresh test sequences."""
    import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x, y = make_sequences(n, TRAIN, rng)
    x_test, y_test = make_sequences(n, TEST, rng)
    model = build_model(cell, units, n)
    started = time.monotonic()
    model.fit(x, y, batch_size=BATCH_SIZE, epochs=epochs, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    return {"accuracy": float(accuracy), "seconds": round(time.monotonic() - started, 2)}


def cases(params: dict) -> list[tuple[str, int]]:
    """The (cell, N) pairs a job trains, in order: every cell at the shortest N first."""
    return [(cell, int(n)) for n in params["lengths"] for cell in params["cells"]]


def run_memory_job(settings, job_id: str, params: dict, reporter) -> dict[str, Any]:
    """The "rnn_memory" job kind (worker side: pure Keras, no web imports): params {"cells": ["simple_rnn", "lstm"], "lengths": [5, 10, 20],
    "units", "epochs", "seed"}. One progress "epoch" per trained (cell, N), so a crashed job resumes
    after the last finished case; the result is {"accuracy": {cell: {N: accuracy}}, "chance"}."""
    todo = cases(params)
    # progress "epoch" i is case i (1-based): what a resumed job has already done
    done = {todo[h["epoch"] - 1]: h for h in reporter.progress.get("history", []) if 0 < h["epoch"] <= len(todo)}
    reporter.stage("training", epochs=len(todo))
    for i, (cell, n) in enumerate(todo, start=1):
        if (cell, n) in done:
            continue
        if reporter.cancelled():
            break
        reporter.stage("training", case={"cell": cell, "n": n})
        score = train_one(cell, n, int(params["units"]), int(params["epochs"]), int(params["seed"]))
        reporter.epoch(i, {"accuracy": score["accuracy"], "n": n}, score["seconds"])
        done[(cell, n)] = reporter.progress["history"][-1]
    accuracy: dict[str, dict[str, float]] = {}
    for (cell, n), h in done.items():
        accuracy.setdefault(cell, {})[str(n)] = h["accuracy"]
    return {"accuracy": accuracy, "chance": 1 / SYMBOLS, "symbols": SYMBOLS,
            "test_accuracy": min((a for row in accuracy.values() for a in row.values()), default=None)}
