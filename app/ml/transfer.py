"""Transfer learning: a frozen pretrained CNN + one Dense softmax layer learns a learner's classes.

The lecture's myna demo (Demo02 遷移式學習做八哥辨識器), step by step:

1. The frozen base (the registry's "embedding" model, MobileNetV1 here: ~3.2 million parameters
   learned on ImageNet, borrowed as they are) turns each 224 × 224 photo into 1024 numbers.
2. A head learns the classes from those numbers: h = x / ‖x‖ · SCALE, p = softmax(h W + b) —
   1024 · k + k parameters (a few thousand), trained with Keras 3 in seconds.
   Each training photo is also shown mirrored and zoomed in: four examples from one photo, for free.
3. A few photos per class are held out: the head never sees them while training, so the
   accuracy on them tells how well it does on new photos.

    embed(registry, photos) / train_head(x, y, k) / head_predict(weights, x)   the three steps
    TransferPredictor                  base + head: the model registry's "transfer" engine
    app/ml/transfer_job.py             run_transfer_job: the "transfer" job kind (worker side)

The head is stored twice with the job: `head.keras` (the Keras model) and `head.npz` (its W and b),
which the web process uses with numpy, so serving a learner's classifier never imports Keras.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from app.ml.manifest import model_input, resolve_file
from app.ml.predictors import KerasPredictor
from app.settings import Settings

BASE_MODEL = "imagenet-mobilenet-v1-embedding"  # the base that is always there (offline, tests): any "embedding" model works
STRONG_BASE_MODEL = "keras-mobilenet-v2-embedding"  # for real users, once `playground fetch-models` (or the assets) put it here


def default_base(registry) -> str:
    """The stronger Keras base when its weights are on this machine, else the small offline one."""
    return STRONG_BASE_MODEL if registry.available(STRONG_BASE_MODEL) else BASE_MODEL
HEAD_FILE = "head.keras"
WEIGHTS_FILE = "head.npz"
SCALE = 10.0  # the unit-length embedding times 10: softmax can get confident without huge weights
EPOCHS = 50
BATCH_SIZE = 16
LEARNING_RATE = 0.01
L2 = 0.005  # weight decay on W: keeps the head from leaning on a handful of the 1024 features
ZOOM = 0.8  # the "zoomed" view: the centre 80 % of a photo
MAX_HOLDOUT_PER_CLASS = 3
EMBED_CHUNK = 8  # photos per progress update while embedding


# --- the pure parts: split, head maths --------------------------------------------------------

def holdout_per_class(count: int, requested: int | None = None) -> int:
    """Photos of one class kept aside for validation: 1 of 5, 2 of 10, 3 of 15 or more —
    always leaving at least 2 to learn from."""
    n = requested if requested is not None else min(MAX_HOLDOUT_PER_CLASS, max(1, count // 5))
    return max(0, min(n, count - 2))


def split_holdout(labels: np.ndarray, n_classes: int, seed: int, requested: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation): a random few of every class go to validation."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for k in range(n_classes):
        members = rng.permutation(np.flatnonzero(labels == k))
        h = holdout_per_class(len(members), requested)
        val.extend(members[:h].tolist())
        train.extend(members[h:].tolist())
    return np.array(sorted(train), dtype=np.int64), np.array(sorted(val), dtype=np.int64)


def class_weights(labels: np.ndarray, n_classes: int) -> dict[int, float]:
    """Each class counts as much as the others, however many photos it has: n / (k · n_c)."""
    counts = np.bincount(labels, minlength=n_classes)
    return {k: float(len(labels) / (n_classes * max(c, 1))) for k, c in enumerate(counts)}


def unit_scale(x: np.ndarray) -> np.ndarray:
    """h = x / ‖x‖ · SCALE (what keras.layers.UnitNormalization + Rescaling do)."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), 1e-12))
    return x / norm * SCALE


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def head_predict(weights: dict[str, np.ndarray], embeddings: np.ndarray) -> np.ndarray:
    """p = softmax(h W + b): the trained head in numpy (checked against Keras in the tests)."""
    return softmax(unit_scale(embeddings) @ weights["W"] + weights["b"]).astype(np.float32)


def trained_parameter_count(embedding_size: int, n_classes: int) -> int:
    return embedding_size * n_classes + n_classes  # W and b


# --- Keras 3: the head --------------------------------------------------------------------------

def build_head(embedding_size: int, n_classes: int):
    """The only layer that learns: Dense(k, softmax) on the normalised embedding."""
    import keras

    return keras.Sequential([
        keras.Input(shape=(embedding_size,)),
        keras.layers.UnitNormalization(),
        keras.layers.Rescaling(SCALE),
        keras.layers.Dense(n_classes, activation="softmax", kernel_regularizer=keras.regularizers.L2(L2), name="classes"),
    ], name="transfer_head")


def train_head(x: np.ndarray, y: np.ndarray, n_classes: int, seed: int = 0, epochs: int = EPOCHS,
               validation: tuple[np.ndarray, np.ndarray] | None = None, callbacks: list | None = None):
    """Fit the head on embeddings x with class indices y; returns the Keras model."""
    import keras

    keras.utils.set_random_seed(seed)
    model = build_head(x.shape[1], n_classes)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=BATCH_SIZE, shuffle=True, verbose=0,
              class_weight=class_weights(y, n_classes),
              validation_data=validation if validation is not None and len(validation[1]) else None,
              callbacks=callbacks or [])
    return model


def head_weights(model) -> dict[str, np.ndarray]:
    kernel, bias = model.get_layer("classes").get_weights()
    return {"W": np.asarray(kernel, dtype=np.float32), "b": np.asarray(bias, dtype=np.float32)}


def keras_bytes(model) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / HEAD_FILE
        model.save(path)
        return path.read_bytes()


def npz_bytes(weights: dict[str, np.ndarray]) -> bytes:
    out = io.BytesIO()
    np.savez(out, **weights)
    return out.getvalue()


# --- the frozen base ----------------------------------------------------------------------------

def pixels_of(jpeg: bytes) -> np.ndarray:
    """A stored 224 × 224 crop → uint8 pixels."""
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def zoomed(pixels: np.ndarray, fraction: float = ZOOM) -> np.ndarray:
    """The centre `fraction` of a photo, enlarged back to its size: a closer look at the same thing."""
    from PIL import Image

    n = pixels.shape[0]
    m = int(round(n * fraction))
    o = (n - m) // 2
    return np.asarray(Image.fromarray(pixels).resize((n, n), Image.Resampling.BICUBIC, box=(o, o, o + m, o + m)))


# Extra views of each training photo (data augmentation): each is a new example for free.
VIEWS = {
    "mirrored": lambda px: px[:, ::-1],
    "zoomed": zoomed,
    "zoomed_mirrored": lambda px: zoomed(px)[:, ::-1],
}


def embed(registry, photos: list[bytes], on_progress=None, view: str | None = None, base_id: str = BASE_MODEL) -> np.ndarray:
    """Stored crops → (n, d) embeddings from the frozen base `base_id` (never trained); `view`:
    of one of the VIEWS of each photo instead of the photo as it is."""
    base_manifest = registry.manifest(base_id)
    base = registry.predictor(base_id)
    out = []
    for start in range(0, len(photos), EMBED_CHUNK):
        pixels = [pixels_of(p) for p in photos[start:start + EMBED_CHUNK]]
        if view:
            pixels = [VIEWS[view](px) for px in pixels]
        chunk = np.stack([model_input(base_manifest, np.ascontiguousarray(px)) for px in pixels])
        out.append(base.predict(chunk).reshape(len(chunk), -1))
        if on_progress:
            on_progress(min(start + EMBED_CHUNK, len(photos)), len(photos))
    return np.concatenate(out).astype(np.float32)


@lru_cache(maxsize=4)
def _litert_parameter_count(path: str) -> int:
    """The learned numbers in a .tflite: its weight and bias tensors (activations excluded)."""
    from ai_edge_litert.interpreter import Interpreter

    total = 0
    for t in Interpreter(model_path=path).get_tensor_details():
        name = t["name"]
        if ("weights" in name or name.endswith("bias")) and "Relu" not in name:
            total += int(np.prod(t["shape"]))
    return total


def base_parameter_count(registry, base_id: str = BASE_MODEL) -> int | None:
    """How many parameters the frozen base lends us (the manifest's own "parameters" wins);
    `registry`: the app/ml/registry.ModelRegistry to look the base up in."""
    manifest = registry.manifest(base_id)
    if manifest is None:
        return None
    if manifest.get("parameters"):
        return int(manifest["parameters"])
    if manifest.get("engine") != "litert":
        return None
    try:
        return _litert_parameter_count(str(resolve_file(registry.settings, manifest, download=False)))
    except Exception:  # not downloaded yet, or not a file LiteRT reads: the page shows "–"
        return None


# --- serving: the registry's "transfer" engine --------------------------------------------------

class TransferPredictor:
    """A learner's classifier: the registry's frozen base, then their head (numpy, or Keras when
    only head.keras is here). Retraining replaces the model folder; the next call notices."""

    def __init__(self, folder: Path, base):
        self.folder = folder
        self.base = base
        self._stamp = None
        self._head = None
        self._load()

    def _manifest_stamp(self):
        st = (self.folder / "manifest.json").stat()
        return (st.st_ino, st.st_mtime_ns)

    def _load(self) -> None:
        stamp = self._manifest_stamp()
        npz = self.folder / WEIGHTS_FILE
        if npz.exists():
            with np.load(npz) as f:
                weights = {"W": f["W"], "b": f["b"]}
            self._head = lambda e: head_predict(weights, e)
        else:
            self._head = KerasPredictor(self.folder / HEAD_FILE).predict
        self._stamp = stamp

    def predict(self, batch: np.ndarray) -> np.ndarray:
        try:
            if self._manifest_stamp() != self._stamp:
                self._load()
        except FileNotFoundError:
            pass  # deleted a moment ago: this last answer uses the head we have
        embeddings = self.base.predict(batch).reshape(len(batch), -1)
        return self._head(embeddings)


def write_model_folder(settings: Settings, model_id: str, files: dict[str, bytes], manifest: dict[str, Any]) -> Path:
    """<data_dir>/models/<id>/ with the files and manifest.json, replacing an older one atomically
    enough: the registry sees the old model or the new one, never half of one."""
    root = settings.user_models_dir
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    folder = root / model_id
    old = None
    if folder.exists():
        old = Path(tempfile.mkdtemp(prefix=".old-", dir=root))
        os.replace(folder, old / "model")
    os.replace(tmp, folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return folder
