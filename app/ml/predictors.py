"""Predictors: a loaded model with `predict(batch) -> outputs` (LiteRT, Keras, keras.applications).

The registry (app/ml/registry.py) turns a manifest into one of these; Keras and LiteRT are
imported only when a predictor is made.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Protocol

import numpy as np


class Predictor(Protocol):
    def predict(self, batch: np.ndarray) -> np.ndarray: ...


class LiteRTPredictor:
    """A .tflite model on LiteRT. Interpreters are not thread-safe: keep a small pool of them,
    so that requests on the threadpool run in parallel on both cores."""

    def __init__(self, path: Path, pool_size: int = 2, threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        self.path = path
        self._pool: queue.Queue = queue.Queue()
        for _ in range(pool_size):
            interpreter = Interpreter(model_path=str(path), num_threads=threads)
            interpreter.allocate_tensors()
            self._pool.put(interpreter)
        probe = self._pool.queue[0]
        self.input_detail = probe.get_input_details()[0]
        self.output_detail = probe.get_output_details()[0]

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.input_detail["shape"])

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """batch: floats as the model was trained on (or uint8 for a uint8 model); returns floats."""
        inp, out = self.input_detail, self.output_detail
        x = batch
        if inp["dtype"] in (np.uint8, np.int8) and x.dtype not in (np.uint8, np.int8):
            scale, zero = inp["quantization"]
            x = np.clip(np.round(x / scale + zero), np.iinfo(inp["dtype"]).min, np.iinfo(inp["dtype"]).max)
        x = x.astype(inp["dtype"], copy=False)
        results = []
        interpreter = self._pool.get()
        try:
            for row in x:  # the models take a batch of one
                interpreter.set_tensor(inp["index"], row[None, ...])
                interpreter.invoke()
                results.append(interpreter.get_tensor(out["index"])[0].copy())
        finally:
            self._pool.put(interpreter)
        y = np.stack(results)
        if out["dtype"] in (np.uint8, np.int8):
            scale, zero = out["quantization"]
            y = (y.astype(np.float32) - zero) * scale
        return y.astype(np.float32, copy=False)


class KerasPredictor:
    """A .keras model, called directly (model.predict costs ~40 ms of overhead per call)."""

    def __init__(self, path: Path):
        import keras

        self.path = path
        self.model = keras.saving.load_model(path, compile=False)
        self._lock = threading.Lock()

    def predict(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self.model(batch.astype(np.float32), training=False))


class KerasApplicationPredictor:
    """A keras.applications network without its classifier (include_top=False, average pooling):
    uint8 224×224×3 photos in, one embedding per photo out. `weights`: a weights file, or None
    (random weights, for tests)."""

    def __init__(self, application: str, preprocess_module: str, weights: Path | None, size: tuple[int, int, int]):
        import importlib

        import keras

        build = getattr(keras.applications, application)
        self.model = build(include_top=False, weights=str(weights) if weights else None, pooling="avg", input_shape=size)
        self.preprocess = importlib.import_module(f"keras.applications.{preprocess_module}").preprocess_input

    def predict(self, batch: np.ndarray) -> np.ndarray:
        x = self.preprocess(batch.astype(np.float32))
        return np.asarray(self.model(x, training=False), dtype=np.float32)
