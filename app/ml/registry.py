"""The model registry: one JSON manifest per model, one loader that turns it into a predictor.

Built-in manifests live in `models/*.json` (committed); models that learners train live in
`<data_dir>/models/<id>/manifest.json`. A manifest says (fields in brackets are optional):

    id, task ("digits" | "photos" | "embedding"), engine ("litert" | "keras" | "keras_application" | "transfer"),
    file         path of the model, relative to the manifest's folder
    [asset]      the same file inside PLAYGROUND_ASSETS_DIR (offline copies, tests, CI)
    [download]   {"url": ..., "sha256": ...} for real users: fetched once into <data_dir>/cache
    input        {"size": [h, w, c], "preprocess": "mnist" | "imagenet_uint8" | ...}
    labels | labels_file   class names (labels_file resolved like `file`, with `labels_asset`/`labels_download`)
    [title]      {"zh-TW": ..., "en": ...}; [owner] a browser id; licence, source, metrics, reproduce
    [base]       engine "transfer" only: the id of the frozen "embedding" model under the head
    [application, preprocess_module]  engine "keras_application" only: a keras.applications
                 model (e.g. MobileNetV2, mobilenet_v2) built without its classifier, `file` its weights

Where a file comes from, in order: `file` beside the manifest, `asset` in the assets folder,
the download cache, then the download itself (checked against sha256).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from app.settings import Settings

log = logging.getLogger(__name__)
BUILTIN_DIR = Path(__file__).resolve().parent.parent.parent / "models"


class ModelNotAvailable(Exception):
    """The model file is neither here, nor in the assets folder, nor downloadable now."""


class Predictor(Protocol):
    def predict(self, batch: np.ndarray) -> np.ndarray: ...


@dataclass
class Manifest:
    data: dict[str, Any]
    folder: Path
    builtin: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def task(self) -> str:
        return self.data["task"]

    @property
    def owner(self) -> str | None:
        return self.data.get("owner")

    def title(self, lang: str) -> str:
        title = self.data.get("title") or {}
        return title.get(lang) or title.get("zh-TW") or self.id

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def resolve_file(settings: Settings, manifest: Manifest, key: str = "file", *, download: bool = True) -> Path:
    """Find (or fetch) the file that manifest[key] names; see the module docstring for the order."""
    name = manifest.get(key)
    if name:
        local = manifest.folder / name
        if local.exists():
            return local
    asset_key = "asset" if key == "file" else key.replace("_file", "_asset")
    if manifest.get(asset_key):
        found = settings.asset(manifest[asset_key])
        if found:
            return found
    dl = manifest.get("download" if key == "file" else key.replace("_file", "_download"))
    if not dl:
        raise ModelNotAvailable(f"{manifest.id}: {key} not found")
    cached = settings.data_dir / "cache" / Path(dl["url"]).name
    if cached.exists() and (not dl.get("sha256") or sha256_of(cached) == dl["sha256"]):
        return cached
    if not download:
        raise ModelNotAvailable(f"{manifest.id}: not downloaded yet")
    return fetch(dl["url"], cached, dl.get("sha256"))


def fetch(url: str, dest: Path, sha256: str | None) -> Path:
    """Download once, check the hash, then move into place (never a half file in the cache)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_suffix(dest.suffix + ".part")
    log.info("downloading %s", url)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, partial.open("wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ModelNotAvailable(f"download failed: {url}: {exc}") from exc
    if sha256 and sha256_of(partial) != sha256:
        partial.unlink(missing_ok=True)
        raise ModelNotAvailable(f"download of {url} does not match its sha256")
    os.replace(partial, dest)
    return dest


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


def load_predictor(settings: Settings, manifest: Manifest, registry: "ModelRegistry | None" = None) -> Predictor:
    engine = manifest["engine"]
    if engine == "keras_application":
        weights = resolve_file(settings, manifest) if manifest.get("asset") or manifest.get("download") or manifest.get("file") else None
        return KerasApplicationPredictor(manifest["application"], manifest["preprocess_module"], weights,
                                         tuple(manifest["input"]["size"]))
    path = resolve_file(settings, manifest)
    if engine == "litert":
        return LiteRTPredictor(path)
    if engine == "keras":
        return KerasPredictor(path)
    if engine == "transfer":  # a learner's classifier: manifest["base"] from this registry + their head
        from app.ml.transfer import TransferPredictor

        base = (registry or ModelRegistry(settings)).predictor(manifest["base"])
        return TransferPredictor(manifest.folder, base)
    raise ValueError(f"unknown engine {engine!r} in {manifest.id}")


class ModelRegistry:
    """All manifests, and their predictors loaded once (lazily, or at start-up by warm())."""

    def __init__(self, settings: Settings, builtin_dir: Path = BUILTIN_DIR):
        self.settings = settings
        self.builtin_dir = builtin_dir
        self._predictors: dict[str, Predictor] = {}
        self._lock = threading.Lock()

    def _read(self, path: Path, builtin: bool) -> Manifest:
        return Manifest(json.loads(path.read_text(encoding="utf-8")), path.parent, builtin)

    def manifests(self, task: str | None = None, browser_id: str | None = None) -> list[Manifest]:
        """Built-in models, then this browser's own (newest first)."""
        found = [self._read(p, True) for p in sorted(self.builtin_dir.glob("*.json"))]
        user_dir = self.settings.user_models_dir
        if browser_id and user_dir.exists():
            own = [self._read(p, False) for p in user_dir.glob("*/manifest.json")]
            own = [m for m in own if m.owner == browser_id]
            found += sorted(own, key=lambda m: m.get("created", ""), reverse=True)
        return [m for m in found if task is None or m.task == task]

    def manifest(self, model_id: str) -> Manifest | None:
        if not model_id or "/" in model_id or "\\" in model_id or model_id.startswith("."):
            return None
        builtin = self.builtin_dir / f"{model_id}.json"
        if builtin.exists():
            return self._read(builtin, True)
        user = self.settings.user_models_dir / model_id / "manifest.json"
        if user.exists():
            return self._read(user, False)
        return None

    def predictor(self, model_id: str) -> Predictor:
        with self._lock:
            if model_id in self._predictors:
                return self._predictors[model_id]
        manifest = self.manifest(model_id)
        if manifest is None:
            raise KeyError(model_id)
        predictor = load_predictor(self.settings, manifest, self)
        with self._lock:
            return self._predictors.setdefault(model_id, predictor)

    def labels(self, manifest: Manifest) -> list[str]:
        if "labels" in manifest.data:
            return list(manifest["labels"])
        path = resolve_file(self.settings, manifest, "labels_file")
        return path.read_text(encoding="utf-8").splitlines()

    def available(self, model_id: str) -> bool:
        """Whether the model's file is on this machine already (no download needed)."""
        manifest = self.manifest(model_id)
        if manifest is None:
            return False
        try:
            resolve_file(self.settings, manifest, download=False)
            return True
        except ModelNotAvailable:
            return False

    def forget(self, model_id: str) -> None:
        with self._lock:
            self._predictors.pop(model_id, None)

    def warm(self, model_ids: list[str]) -> None:
        """Load at start-up the models that every request needs (never per request)."""
        for model_id in model_ids:
            try:
                self.predictor(model_id)
            except (ModelNotAvailable, KeyError) as exc:
                log.warning("model %s not loaded at start-up: %s", model_id, exc)
