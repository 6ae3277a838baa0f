"""Transfer learning (app/ml/transfer.py): the hold-out split, the head against Keras, the frozen
base's embeddings of the shared myna photos, and the registry's "transfer" engine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.classifiers.service import crop_jpeg
from app.ml import photos as photo_ml
from app.ml import transfer
from app.ml.registry import ModelRegistry
from app.settings import Settings

SPECIES = ["common_myna", "crested_myna", "javan_myna"]


def test_holdout_keeps_a_few_of_every_class_and_never_mixes():
    labels = np.array([0] * 25 + [1] * 9 + [2] * 5)
    train, val = transfer.split_holdout(labels, 3, seed=1)
    assert set(train).isdisjoint(val) and len(train) + len(val) == len(labels)
    # 1 of 5, 2 of 10, 3 of 15 or more (and never more than 3)
    assert [int((labels[val] == k).sum()) for k in range(3)] == [3, 1, 1]
    train, val = transfer.split_holdout(labels, 3, seed=1, requested=3)
    assert [int((labels[val] == k).sum()) for k in range(3)] == [3, 3, 3]  # 5 photos: 3 held out, 2 to learn from
    assert transfer.holdout_per_class(3, 3) == 1  # never fewer than 2 left to learn from
    # another seed, another split; the same seed, the same split
    assert not np.array_equal(transfer.split_holdout(labels, 3, seed=2)[1], transfer.split_holdout(labels, 3, seed=1)[1])
    assert np.array_equal(transfer.split_holdout(labels, 3, seed=2)[1], transfer.split_holdout(labels, 3, seed=2)[1])


def test_class_weights_make_every_class_count_the_same():
    labels = np.array([0] * 20 + [1] * 5)
    w = transfer.class_weights(labels, 2)
    assert w[0] * 20 == pytest.approx(w[1] * 5)  # total weight per class is equal
    assert sum(w[k] * n for k, n in ((0, 20), (1, 5))) == pytest.approx(len(labels))


def test_the_numpy_head_is_the_keras_head():
    """The web serves W and b with numpy; it must give Keras's probabilities (to float32 rounding)."""
    rng = np.random.default_rng(0)
    model = transfer.build_head(1024, 4)
    x = rng.gamma(1.0, 1.0, size=(16, 1024)).astype(np.float32)  # embeddings are ≥ 0 (after ReLU6)
    expected = np.asarray(model(x, training=False))
    got = transfer.head_predict(transfer.head_weights(model), x)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-5)  # a probability per class
    # the only trained layer: 1024 × 4 weights + 4 biases
    assert model.count_params() == transfer.trained_parameter_count(1024, 4) == 4100


@pytest.fixture(scope="module")
def myna(shared, tmp_path_factory):
    """The 48 shared myna photos as stored crops, and their 1024-d embeddings from the frozen base."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("transfer") / "data", assets_dir=shared)
    registry = ModelRegistry(settings)
    jpegs, labels = [], []
    for k, species in enumerate(SPECIES):
        for path in sorted((shared / "datasets" / "myna" / species).glob("*.jpg")):
            jpegs.append(crop_jpeg(photo_ml.decode(path.read_bytes()).pixels))
            labels.append(k)
    x = transfer.embed(registry, jpegs)
    views = {view: transfer.embed(registry, jpegs, view=view) for view in transfer.VIEWS}
    return settings, registry, jpegs, np.array(labels), x, views


def test_the_frozen_base_gives_1024_numbers_a_photo(myna):
    settings, registry, jpegs, labels, x, views = myna
    assert x.shape == (48, 1024) and np.isfinite(x).all() and (x >= 0).all()
    for view in views.values():  # a mirrored or zoomed photo is a (slightly) different example
        assert view.shape == x.shape and not np.allclose(x, view)
    # the same photo through the base twice: the same numbers (the base is frozen)
    np.testing.assert_array_equal(transfer.embed(registry, jpegs[:2]), x[:2])
    borrowed = transfer.base_parameter_count(ModelRegistry(settings))
    assert 3_000_000 < borrowed < 3_300_000  # MobileNetV1 1.0: about 3.2 million parameters


def test_the_head_learns_the_mynas_from_a_few_photos(myna):
    """Three held-out photos per species, three splits: the lecture's demo gets most of them right."""
    _settings, _registry, _jpegs, labels, x, views = myna
    accuracies = []
    for seed in range(3):
        train, val = transfer.split_holdout(labels, 3, seed, requested=3)
        x_train = np.concatenate([x[train]] + [v[train] for v in views.values()])
        y_train = np.concatenate([labels[train]] * (1 + len(views)))
        model = transfer.train_head(x_train, y_train, 3, seed=seed, epochs=transfer.EPOCHS)
        w = transfer.head_weights(model)
        assert (transfer.head_predict(w, x[train]).argmax(1) == labels[train]).mean() >= 0.95  # it fits what it saw
        accuracies.append(float((transfer.head_predict(w, x[val]).argmax(1) == labels[val]).mean()))
    assert np.mean(accuracies) >= 0.7, accuracies  # chance is 1/3; the API test measures more splits


def test_the_registry_serves_a_learners_classifier_and_notices_retraining(myna, tmp_path):
    settings, _registry, jpegs, labels, x, _views = myna
    settings = settings.model_copy(update={"data_dir": tmp_path / "data"})
    registry = ModelRegistry(settings)

    def install(w: dict, job: str):
        manifest = {"id": "my-test", "task": "photos", "engine": "transfer", "base": transfer.BASE_MODEL,
                    "file": transfer.HEAD_FILE, "head_weights": transfer.WEIGHTS_FILE,
                    "input": {"size": [224, 224, 3], "preprocess": "imagenet_uint8"},
                    "labels": ["家八哥", "土八哥", "白尾八哥"], "owner": "browser-a", "job": job}
        transfer.write_model_folder(settings, "my-test", {transfer.WEIGHTS_FILE: transfer.npz_bytes(w),
                                                         transfer.HEAD_FILE: b"unused here"}, manifest)

    model = transfer.train_head(x, labels, 3, seed=0, epochs=10)
    install(transfer.head_weights(model), "job-1")
    assert [m.id for m in registry.manifests(task="photos", browser_id="browser-a")][-1] == "my-test"
    assert "my-test" not in [m.id for m in registry.manifests(task="photos", browser_id="browser-b")]

    photo = (Path(settings.assets_dir) / "datasets/myna/javan_myna").glob("*.jpg").__next__().read_bytes()
    answer = photo_ml.classify(registry, registry.manifest("my-test"), photo, top=3)
    assert [p.label_zh for p in answer.predictions][0] in ("家八哥", "土八哥", "白尾八哥")
    assert {p.class_index for p in answer.predictions} == {0, 1, 2}
    assert all(p.label_zh == p.label_en for p in answer.predictions)  # the learner's own names

    # Retrained: a head that always says class 1 — the cached predictor picks it up.
    always_one = {"W": np.zeros((1024, 3), np.float32), "b": np.array([0, 9, 0], np.float32)}
    install(always_one, "job-2")
    again = photo_ml.classify(registry, registry.manifest("my-test"), photo, top=1)
    assert again.predictions[0].class_index == 1 and again.predictions[0].probability > 0.99
    assert json.loads((settings.user_models_dir / "my-test" / "manifest.json").read_text())["job"] == "job-2"
