"""A model's manifest (one JSON file per model), where its files come from, and its input scale.

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
import logging
import os
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.settings import Settings

log = logging.getLogger(__name__)


class ModelNotAvailable(Exception):
    """The model file is neither here, nor in the assets folder, nor downloadable now."""


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




def model_input(manifest: Manifest, pixels: np.ndarray) -> np.ndarray:
    """The 224 × 224 × 3 numbers in the scale the model was trained on (manifest input.preprocess)."""
    how = (manifest.get("input") or {}).get("preprocess", "imagenet_uint8")
    if how in ("imagenet_uint8", "uint8"):  # quantized models: the pixel values themselves
        return pixels
    x = pixels.astype(np.float32)
    if how in ("mobilenet", "minus_one_to_one"):  # keras.applications.mobilenet_v2.preprocess_input
        return x / 127.5 - 1.0
    if how in ("unit", "zero_to_one"):
        return x / 255.0
    if how in ("raw", "zero_to_255"):
        return x
    raise ValueError(f"{manifest.id}: unknown preprocess {how!r}")


def input_size(manifest: Manifest) -> int:
    shape = (manifest.get("input") or {}).get("size") or [224, 224, 3]
    return int(shape[0])
