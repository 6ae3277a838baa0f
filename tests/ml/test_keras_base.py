"""The stronger frozen base for real users: a keras.applications network through the registry.

Its ImageNet weights cannot be downloaded here, so these tests build the same network with
random weights (a manifest without a weights file) and check the plumbing: uint8 photos in,
one 1280-d embedding each out, and that a learner's classifier picks it once its weights are here.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from app.ml.registry import BUILTIN_DIR, ModelRegistry
from app.ml.transfer import BASE_MODEL, STRONG_BASE_MODEL, default_base, embed
from app.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def random_weights_registry(tmp_path_factory, shared):
    folder = tmp_path_factory.mktemp("models")
    manifest = json.loads((BUILTIN_DIR / f"{STRONG_BASE_MODEL}.json").read_text())
    for key in ("asset", "download"):
        manifest.pop(key)  # no weights file: random weights
    (folder / f"{STRONG_BASE_MODEL}.json").write_text(json.dumps(manifest))
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), assets_dir=shared)
    return ModelRegistry(settings, builtin_dir=folder)


def test_photos_become_one_1280_d_embedding_each(random_weights_registry, shared):
    photos = sorted((shared / "datasets" / "myna" / "javan_myna").glob("*.jpg"))[:3]
    x = embed(random_weights_registry, [p.read_bytes() for p in photos], base_id=STRONG_BASE_MODEL)
    assert x.shape == (3, 1280) and np.isfinite(x).all()
    assert np.abs(x[0] - x[1]).max() > 1e-3 * np.abs(x).max()  # different photos, different embeddings


def test_the_keras_base_is_the_default_once_its_weights_are_here(tmp_path, shared):
    registry = ModelRegistry(Settings(data_dir=tmp_path / "data", assets_dir=shared))
    assert default_base(registry) == BASE_MODEL  # offline, no weights: the small quantized base
    assets = tmp_path / "assets"
    weights = assets / registry.manifest(STRONG_BASE_MODEL)["asset"]
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"weights would be here")
    registry = ModelRegistry(Settings(data_dir=tmp_path / "data", assets_dir=assets))
    assert default_base(registry) == STRONG_BASE_MODEL
    assert Path(registry.manifest(STRONG_BASE_MODEL)["download"]["url"]).name == weights.name  # what fetch-models caches
