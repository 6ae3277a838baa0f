"""ImageNet's labels in both languages, and photo → labelled top-k (app/ml/photos.classify) on the
real photos in ../shared/photos, for the ImageNet model and for a learner's own classifier."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from app.i18n import translate
from app.ml import imagenet, photos
from app.ml.registry import Manifest, ModelRegistry
from app.settings import Settings

BEAR_PHOTOS = ["american_black_bear.jpg", "asiatic_black_bear.jpg", "brown_bear.jpg", "polar_bear.jpg",
               "sloth_bear.jpg", "spectacled_bear.jpg", "sun_bear.jpg", "sun_bear_large.jpg"]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def registry(tmp_path_factory, shared) -> ModelRegistry:
    return ModelRegistry(Settings(data_dir=tmp_path_factory.mktemp("data"), assets_dir=shared, workers=0))


@pytest.fixture(scope="module")
def imagenet_manifest(registry) -> Manifest:
    return registry.manifest("imagenet-mobilenet-v2")


def test_1000_classes_whose_english_matches_the_models_labels_file(shared):
    lines = (shared / "models" / "imagenet" / "imagenet_labels.txt").read_text().splitlines()
    assert lines[0] == "background" and len(lines) == 1001  # the file is offset by one
    classes = imagenet.classes()
    assert [c.index for c in classes] == list(range(1000))
    assert [c.en for c in classes] == [imagenet.english_name(line) for line in lines[1:]]


def test_every_class_has_a_traditional_chinese_name():
    classes = imagenet.classes()
    assert all(c.zh.strip() for c in classes)
    animals = [c for c in classes if c.index <= 397]
    assert all(CJK.search(c.zh) for c in animals), [c for c in animals if not CJK.search(c.zh)]
    simplified = set("猫鸟鱼龙马驴乌鸡鸭鹅猪兽虫蝾狮鳄鸥鹦鹉龟")  # simplified-only forms of common characters
    assert not [c for c in classes if simplified & set(c.zh)]


def test_the_lectures_animals_read_naturally():
    zh = {c.index: c.zh for c in imagenet.classes()}
    assert zh[295] == "美洲黑熊"
    assert zh[341] == "豬"
    assert "岩蟒" in zh[62] and "蟒蛇" in zh[62]
    assert zh[388] == "大貓熊" and zh[88] == "金剛鸚鵡"
    assert "台灣黑熊" in translate(imagenet.NOTES[295], "zh-TW")
    assert "Formosan black bear" in translate(imagenet.NOTES[295], "en")


def test_manifests_point_at_the_shared_files_and_a_real_download(registry, shared):
    for model_id, task in (("imagenet-mobilenet-v2", "photos"), ("imagenet-mobilenet-v1-embedding", "embedding")):
        m = registry.manifest(model_id)
        assert m.task == task and m["engine"] == "litert"
        assert m["download"]["url"].startswith("https://") and re.fullmatch(r"[0-9a-f]{64}", m["download"]["sha256"])
        from app.ml.registry import sha256_of
        assert sha256_of(shared / m["asset"]) == m["download"]["sha256"]  # the hash users' downloads are checked against
    assert [m.id for m in registry.manifests(task="photos")][:1] == ["imagenet-mobilenet-v2"]


def test_the_embedding_extractor_gives_1024_numbers(registry):
    y = registry.predictor("imagenet-mobilenet-v1-embedding").predict(np.zeros((1, 224, 224, 3), np.uint8))
    assert y.reshape(-1).shape == (1024,)


@pytest.mark.parametrize("name", BEAR_PHOTOS)
def test_every_bear_is_a_bear(registry, imagenet_manifest, shared, name):
    result = photos.classify(registry, imagenet_manifest, (shared / "photos" / name).read_bytes())
    assert result.predictions[0].class_index in imagenet.BEAR_CLASSES, result.predictions[0]


@pytest.mark.parametrize("name, index, en, zh", [
    ("asiatic_black_bear.jpg", 295, "American black bear", "美洲黑熊"),
    ("parrot.jpg", 88, "macaw", "金剛鸚鵡"),
    ("panda.jpg", 388, "giant panda", "大貓熊"),
])
def test_the_lectures_photos(registry, imagenet_manifest, shared, name, index, en, zh):
    result = photos.classify(registry, imagenet_manifest, (shared / "photos" / name).read_bytes(), top=5)
    best = result.predictions[0]
    assert (best.class_index, best.label_en, best.label_zh) == (index, en, zh)
    assert len(result.predictions) == 5
    p = [x.probability for x in result.predictions]
    assert p == sorted(p, reverse=True)
    assert result.probabilities.shape == (1000,) and abs(result.probabilities.sum() - 1) < 1e-6
    assert (best.note_key == "photos.note_295") == (index == 295)


def test_probabilities_from_logits_and_from_a_sigmoid():
    m = Manifest({"id": "x", "task": "photos", "output": "logits"}, folder=None)
    p = photos.to_probabilities(m, np.array([0.0, np.log(3.0)]))
    assert np.allclose(p, [0.25, 0.75])
    one = Manifest({"id": "y", "task": "photos"}, folder=None)
    assert np.allclose(photos.to_probabilities(one, np.array([0.8])), [0.2, 0.8])


def learners_classifier(settings: Settings, shared, labels: list[str]) -> str:
    """A learner's own photo model as the transfer-learning lab saves one: a manifest with `labels`."""
    folder = settings.user_models_dir / "my-mynas"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.tflite").symlink_to(shared / "models" / "imagenet" / "mobilenet_v2_1.0_224_quant.tflite")
    (folder / "manifest.json").write_text(json.dumps({
        "id": "my-mynas", "task": "photos", "engine": "litert", "file": "model.tflite", "owner": "browser-1",
        "input": {"size": [224, 224, 3], "preprocess": "imagenet_uint8"}, "labels": labels}), encoding="utf-8")
    return "my-mynas"


def test_a_learners_classifier_uses_its_own_class_names(tmp_path, shared):
    settings = Settings(data_dir=tmp_path / "data", assets_dir=shared, workers=0)
    registry = ModelRegistry(settings)
    labels = [f"class {i}" for i in range(1001)]
    labels[296] = "家八哥"  # output 296 of this file = ImageNet's 295 (background first)
    model_id = learners_classifier(settings, shared, labels)
    assert [m.id for m in registry.manifests(task="photos", browser_id="browser-1")][-1] == model_id
    result = photos.classify(registry, registry.manifest(model_id), (shared / "photos" / "asiatic_black_bear.jpg").read_bytes())
    best = result.predictions[0]
    assert (best.class_index, best.label_en, best.label_zh) == (296, "家八哥", "家八哥")
    assert result.probabilities.shape == (1001,)
