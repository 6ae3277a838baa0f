"""The model registry: every manifest (app/ml/manifest.py says what a manifest holds and where its
files come from), each loaded once into a predictor (app/ml/predictors.py).

Built-in manifests live in `models/*.json` (committed); models that learners train live in
`<data_dir>/models/<id>/manifest.json`.
"""


from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from app.ml.manifest import Manifest, ModelNotAvailable, fetch, resolve_file, sha256_of  # noqa: F401  (as before)
from app.ml.predictors import KerasApplicationPredictor, KerasPredictor, LiteRTPredictor, Predictor  # noqa: F401
from app.ml.transfer import TransferPredictor
from app.settings import Settings

log = logging.getLogger(__name__)
BUILTIN_DIR = Path(__file__).resolve().parent.parent.parent / "models"


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
        base = (registry or ModelRegistry(settings)).predictor(manifest["base"])
        return TransferPredictor(manifest.folder, base)
    raise ValueError(f"unknown engine {engine!r} in {manifest.id}")


class ModelRegistry:
    """All manifests, and their predictors loaded once (lazily, or at start-up by warm())."""

    def __init__(self, settings: Settings, builtin_dir: Path = BUILTIN_DIR):
        self.settings = settings
        self.builtin_dir = builtin_dir
        self._predictors: dict[str, Predictor] = {}
        self._builtin: dict[str, Manifest] = {}  # built-in manifests ship with the code: read each once
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
        cached = self._builtin.get(model_id)
        if cached is not None:
            return cached
        builtin = self.builtin_dir / f"{model_id}.json"
        if builtin.exists():
            return self._builtin.setdefault(model_id, self._read(builtin, True))
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
