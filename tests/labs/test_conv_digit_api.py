"""/conv/digit and POST /api/digits/activations: the default CNN opened layer by layer, checked
against the explorer's own convolution and pooling (app/nn/conv.py)."""

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from app.ml.digits import preprocess
from app.nn import conv
from app.settings import Settings


@pytest.fixture(scope="module")
def app_client(tmp_path_factory, shared):
    """One app for the module: the CNN loads once (seconds), as it does in a real server."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("inside") / "data", assets_dir=shared, workers=0)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="module")
def mnist_seven(shared):
    """The first MNIST test digit (a 7), enlarged to a 280×280 canvas: light ink on a dark board."""
    with np.load(shared / "datasets" / "mnist.npz") as data:
        x, y = data["x_test"][0], int(data["y_test"][0])
    assert y == 7
    buffer = io.BytesIO()
    Image.fromarray(x).resize((280, 280), Image.Resampling.NEAREST).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


def upload(png):
    return {"image": ("digit.png", png, "image/png")}


def test_api_gives_every_layer_and_reads_the_seven(app_client, mnist_seven):
    r = app_client.post("/api/digits/activations", files=upload(mnist_seven))
    assert r.status_code == 200
    body = r.json()
    assert body["prediction"] == 7 and body["model"] == "digits-cnn"
    assert abs(sum(body["probabilities"]) - 1) < 1e-4
    shapes = {layer["name"]: layer["shape"] for layer in body["layers"]}
    assert shapes == {"conv1": [28, 28, 16], "pool1": [14, 14, 16], "conv2": [14, 14, 32], "pool2": [7, 7, 32],
                      "conv3": [7, 7, 64], "pool3": [3, 3, 64], "flatten": [576], "dense1": [64], "output": [10]}
    conv1 = body["layers"][0]
    assert len(conv1["maps"]) == 16 and len(conv1["maps"][0]) == 28 and len(conv1["maps"][0][0]) == 28
    assert min(v for m in conv1["maps"] for row in m for v in row) >= 0  # after ReLU
    assert body["layers"][-1]["values"] == pytest.approx(body["probabilities"], abs=1e-4)
    assert len(body["filters"]["kernels"]) == 16 and np.shape(body["filters"]["kernels"][0]) == (3, 3)
    assert len(body["input"]) == 28 and max(max(row) for row in body["input"]) == 255


def test_conv1_and_pool1_are_the_explorers_convolution_and_pooling(app_client, mnist_seven):
    """The CNN's first layer is 16 × (conv2d 'same' + bias, ReLU), the explorer's math; pool1 is 2×2 max-pooling."""
    app_client.post("/api/digits/activations", files=upload(mnist_seven))
    inside = app_client.app.state.conv_digit  # loaded once, kept on app.state
    picture = preprocess(mnist_seven)
    layers = {layer.name: layer.values for layer in inside.run(picture)}
    kernels, biases = inside.filters("conv1")
    for f in range(16):
        ours = conv.relu(conv.conv2d(picture, kernels[:, :, 0, f], "same", 1) + biases[f])
        np.testing.assert_allclose(layers["conv1"][..., f], ours, atol=1e-4)
        pooled, _ = conv.max_pool(layers["conv1"][..., f], 2)
        np.testing.assert_allclose(layers["pool1"][..., f], pooled, atol=1e-6)


def test_the_model_is_loaded_once(app_client, mnist_seven):
    app_client.post("/api/digits/activations", files=upload(mnist_seven))
    first = app_client.app.state.conv_digit
    app_client.post("/conv/digit/layers", files=upload(mnist_seven))
    assert app_client.app.state.conv_digit is first


def test_fragment_draws_every_map_as_a_small_image(app_client, mnist_seven):
    r = app_client.post("/conv/digit/layers", files=upload(mnist_seven), data={"scale": "map"}, headers={"hx-request": "true"})
    assert r.status_code == 200 and "<html" not in r.text
    conv1 = r.text.split('id="layer-conv1"')[1].split("</section>")[0]
    assert conv1.count('class="fmap"') == 16 and conv1.count('class="filter"') == 16
    assert conv1.count("data:image/png;base64,") == 32 and "data-weights" in conv1
    assert r.text.count('class="fmap"') == 1 + 16 + 16 + 32 + 32 + 64 + 64
    assert 'id="cnn-digit">7<' in r.text and "每張特徵圖用自己的最大值" in r.text


def test_page_in_both_languages(app_client):
    assert "CNN 裡的你的數字" in app_client.get("/conv/digit").text
    r = app_client.get("/conv/digit?scale=map&brush=24", headers={"accept-language": "en"})
    assert "Your digit inside a CNN" in r.text and 'value="map" checked' in r.text and 'value="24"' in r.text
    assert app_client.get("/conv/digit?scale=huge").status_code == 422


def blank_png():
    buffer = io.BytesIO()
    Image.new("RGBA", (280, 280), (0, 0, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def test_bad_uploads_are_refused_in_the_learners_language(app_client):
    r = app_client.post("/api/digits/activations", files=upload(blank_png()))
    assert r.status_code == 422 and "請先寫一個數字" in r.json()["detail"]
    r = app_client.post("/api/digits/activations", files=upload(b"not a picture"), headers={"accept-language": "en"})
    assert r.status_code == 415 and "PNG" in r.json()["detail"]
    r = app_client.post("/conv/digit/layers", files=upload(blank_png()), headers={"hx-request": "true"})
    assert r.status_code == 422 and "error-box" in r.text
    assert app_client.post("/api/digits/activations").status_code == 422  # no image at all


def test_a_conv1_map_can_be_worked_out_in_the_explorer(app_client, mnist_seven):
    """The dialog's link: the picture and one learned filter in /conv give this very feature map."""
    import html
    import json
    import re

    r = app_client.post("/conv/digit/layers", files=upload(mnist_seven))
    image = re.search(r'data-explore-image="([^"]+)"', r.text).group(1)
    weights = json.loads(html.unescape(re.search(r'data-weights="([^"]+)"', r.text).group(1)))
    bias = float(re.search(r'data-bias="([^"]+)"', r.text).group(1).replace("−", "-"))
    kernel = "_".join(",".join(str(w) for w in row) for row in weights)
    page = app_client.get("/conv", params={"image": image, "kernel": kernel, "padding": "same", "bias": bias, "step": 784})
    assert page.status_code == 200 and "記分板 28×28" in page.text
    # the explorer's numbers, rounded as in the link, are the CNN's first map to within rounding
    picture = np.array([[float(v) for v in row.split(",")] for row in image.split("_")])
    ours = conv.relu(conv.conv2d(picture, weights, "same") + bias)
    inside = app_client.app.state.conv_digit
    keras_map = inside.run(preprocess(mnist_seven))[1].values[..., 0]
    np.testing.assert_allclose(ours, keras_map, atol=0.02)


def test_the_learned_filters_before_any_drawing(app_client):
    page = app_client.get("/conv/digit")
    assert 'hx-get="/conv/digit/filters"' in page.text and 'hx-trigger="load"' in page.text
    r = app_client.get("/conv/digit/filters", headers={"hx-request": "true"})
    assert r.status_code == 200 and r.text.count('data-kind="filter"') == 16
    assert "CNN 自己學到的 16 個 3×3 濾鏡" in r.text and r.text.count("data-weights=") == 16
