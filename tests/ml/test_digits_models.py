"""The committed default digit models: the lecture's networks, small files, the accuracy their
manifests claim on MNIST's test split, and ≥ 98 % of canvas drawings read correctly.

Models are run as the server runs them (LiteRT, through the registry)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.ml.digit_drawings import drawing
from app.ml.digits import preprocess, probabilities
from app.ml.mnist import as_model_input, load_mnist
from app.ml.registry import BUILTIN_DIR, ModelRegistry
from app.settings import Settings

MIB = 1024 * 1024
TARGETS = {"digits-dnn": 0.975, "digits-cnn": 0.990}


@pytest.fixture(scope="module")
def settings(tmp_path_factory, shared):
    return Settings(data_dir=tmp_path_factory.mktemp("digits-models"), assets_dir=shared, workers=0)


@pytest.fixture(scope="module")
def registry(settings):
    return ModelRegistry(settings)


@pytest.fixture(scope="module")
def mnist(settings):
    return load_mnist(settings)


@pytest.mark.parametrize("model_id", list(TARGETS))
def test_manifest_records_how_the_model_was_made(model_id):
    manifest = json.loads((BUILTIN_DIR / f"{model_id}.json").read_text(encoding="utf-8"))
    assert manifest["task"] == "digits" and manifest["engine"] == "litert"
    assert manifest["input"] == {"size": [28, 28, 1], "preprocess": "mnist"}
    assert manifest["labels"] == [str(d) for d in range(10)]
    assert manifest["reproduce"].startswith("playground train-defaults")
    assert manifest["data"]["dataset"] == "MNIST" and "validation" in manifest["data"]
    assert {"optimizer", "learning_rate", "batch_size", "epochs"} <= set(manifest["hyperparameters"])
    for key in ("file", "keras_file"):
        size = (BUILTIN_DIR / manifest[key]).stat().st_size
        assert size < 1 * MIB, f"{manifest[key]} is {size / MIB:.2f} MiB (must stay well under 3 MiB)"


def test_the_lecture_architectures():
    dnn = json.loads((BUILTIN_DIR / "digits-dnn.json").read_text())["architecture"]
    cnn = json.loads((BUILTIN_DIR / "digits-cnn.json").read_text())["architecture"]
    assert [layer["output_shape"] for layer in dnn["layers"]] == [[784], [100], [100], [10]]
    assert [layer["name"] for layer in cnn["layers"]] == ["conv1", "pool1", "conv2", "pool2", "conv3", "pool3", "flatten", "dense1", "output"]
    assert [layer["output_shape"][-1] for layer in cnn["layers"] if layer["type"] == "Conv2D"] == [16, 32, 64]
    assert cnn["layers"][-2]["output_shape"] == [64]


@pytest.mark.parametrize("model_id", list(TARGETS))
def test_accuracy_on_the_mnist_test_split(registry, mnist, model_id):
    predictor = registry.predictor(model_id)
    predicted = predictor.predict(as_model_input(mnist.x_test)).argmax(axis=1)
    accuracy = float((predicted == mnist.y_test).mean())
    manifest = registry.manifest(model_id)
    assert accuracy >= TARGETS[model_id], f"{model_id}: {accuracy:.4f}"
    assert accuracy == pytest.approx(manifest["metrics"]["test_accuracy_litert"], abs=1e-4), "the manifest tells the truth"


def canvas_accuracy(registry, mnist, model_id: str, n: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(mnist.x_test), n, replace=False)
    predictor = registry.predictor(model_id)
    right = 0
    for i in picks:
        data, label = drawing(mnist.x_test[i], mnist.y_test[i], rng)
        right += int(np.argmax(probabilities(predictor, preprocess(data))) == label)
    return right / n


def test_the_default_cnn_reads_98_percent_of_canvas_drawings(registry, mnist):
    """MNIST test digits redrawn at random size and place on a 280×280 canvas, random pens and papers."""
    accuracy = canvas_accuracy(registry, mnist, "digits-cnn", n=1000, seed=7)
    print(f"default CNN reads {accuracy:.1%} of 1000 synthetic canvas drawings")
    assert accuracy >= 0.98


def test_resizing_the_whole_canvas_would_not_do(registry, mnist):
    """The shortcut (whole canvas → 28×28) fails on small, off-centre drawings: why MNIST's recipe matters."""
    from PIL import Image

    from app.ml.digits import decode_ink

    rng = np.random.default_rng(3)
    predictor = registry.predictor("digits-cnn")
    right_naive = right_mnist = 0
    for i in rng.choice(len(mnist.x_test), 200, replace=False):
        data, label = drawing(mnist.x_test[i], mnist.y_test[i], rng, max_size=140)
        ink = decode_ink(data)
        naive = np.asarray(Image.fromarray(ink, mode="F").resize((28, 28), Image.Resampling.BOX))
        right_naive += int(np.argmax(probabilities(predictor, naive / max(naive.max(), 1e-6))) == label)
        right_mnist += int(np.argmax(probabilities(predictor, preprocess(data))) == label)
    assert right_mnist / 200 >= 0.97 and right_naive / 200 < 0.7, (right_mnist, right_naive)


def test_the_keras_files_agree_with_the_litert_files(registry, mnist):
    """The .keras beside each .tflite (for the CNN-inside page and for retraining) is the same network."""
    import keras

    x = as_model_input(mnist.x_test[:200])
    for model_id in TARGETS:
        manifest = registry.manifest(model_id)
        model = keras.saving.load_model(BUILTIN_DIR / manifest["keras_file"], compile=False)
        ours = np.asarray(model(x, training=False))
        served = registry.predictor(model_id).predict(x)
        assert np.abs(ours - served).max() < 1e-4


def arc(cx, cy, rx, ry, a0, a1, n=24):
    return [(cx + rx * np.cos(np.radians(a)), cy + ry * np.sin(np.radians(a))) for a in np.linspace(a0, a1, n)]


# Each digit as a learner strokes it, in a unit box (y points down).
STROKED = {
    0: [arc(.5, .5, .3, .42, 0, 360)],
    1: [[(.45, .2), (.55, .1), (.55, .9)]],
    2: [arc(.5, .32, .28, .22, 200, 360) + [(.75, .45), (.25, .9), (.8, .9)]],
    3: [arc(.5, .3, .25, .2, 210, 450) + arc(.5, .7, .28, .22, 270, 510)],
    4: [[(.6, .1), (.2, .65), (.85, .65)], [(.62, .35), (.62, .92)]],
    5: [[(.75, .1), (.3, .1), (.27, .45)] + arc(.5, .65, .28, .25, 240, 480)],
    6: [[(.65, .1), (.3, .5)] + arc(.5, .68, .23, .22, 180, 540)],
    7: [[(.2, .12), (.8, .12), (.45, .92)]],
    8: [arc(.5, .3, .2, .2, 90, 450), arc(.5, .7, .25, .22, 270, 630)],
    9: [arc(.5, .32, .24, .22, 0, 360), [(.74, .32), (.7, .92)]],
}


def stroked(digit: int, brush: int, size: int, left: int, top: int) -> bytes:
    """A transparent 280×280 canvas with the digit's strokes, like canvas.toBlob() sends."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for stroke in STROKED[digit]:
        draw.line([(left + x * size * 0.8, top + y * size) for x, y in stroke], fill=(0, 0, 0, 255), width=brush, joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("brush", [3, 6, 16, 30])
def test_stroked_digits_big_small_thin_and_fat(registry, brush):
    """Polyline digits at three sizes and places (big and centred, small in a corner, mid-size at the top)."""
    predictor = registry.predictor("digits-cnn")
    wrong = []
    for size, left, top in ((220, 30, 30), (90, 10, 170), (140, 120, 20)):
        for digit in STROKED:
            guess = int(np.argmax(probabilities(predictor, preprocess(stroked(digit, brush, size, left, top)))))
            if guess != digit:
                wrong.append(f"{digit} read as {guess} (size {size})")
    assert len(wrong) <= (1 if brush >= 30 else 0), wrong  # a 30 px brush on a 90 px digit is nearly a blob
