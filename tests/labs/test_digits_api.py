"""The digit lab's routes: POST /api/digits/predict as specified, the page and its fragment,
bad uploads as 4xx in the learner's language (and the server keeps serving), a learner's own
Keras model in the switch and by link, and every answer published for the classroom."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.ml.digit_drawings import drawing
from tests.ml.test_digits_preprocess import encode, real_bomb


@pytest.fixture(scope="module")
def digits(shared):
    with np.load(shared / "datasets" / "mnist.npz") as data:
        return data["x_test"][:50], data["y_test"][:50]


@pytest.fixture(scope="module")
def seven(digits):
    x, y = digits
    i = int(np.flatnonzero(y == 7)[0])
    return drawing(x[i], 7, np.random.default_rng(1), fmt="transparent")[0]


def post(client, data: bytes, model: str | None = None, lang: str = "en", **kw):
    form = {"model": model} if model else {}
    return client.post("/api/digits/predict", files={"image": ("digit.png", data, "image/png")}, data=form,
                       headers={"accept-language": lang}, **kw)


def test_predict_answers_as_specified(client, seven):
    r = post(client, seven)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"model", "prediction", "probabilities", "input"}
    assert body["model"] == "cnn" and body["prediction"] == 7
    assert len(body["probabilities"]) == 10 and sum(body["probabilities"]) == pytest.approx(1, abs=1e-5)
    assert len(body["input"]) == 28 and all(len(row) == 28 for row in body["input"])
    assert all(isinstance(v, int) and 0 <= v <= 255 for row in body["input"] for v in row)
    assert "app;dur=" in r.headers["server-timing"]  # decode + preprocess + model, measured by the server


def test_the_dnn_and_model_ids(client, seven):
    assert post(client, seven, "dnn").json()["model"] == "dnn"
    assert post(client, seven, "dnn").json()["prediction"] == 7
    assert post(client, seven, "digits-cnn").json()["model"] == "digits-cnn"


def test_jpeg_and_webp_uploads(client, digits):
    x, y = digits
    for fmt in ("jpeg", "webp"):
        data, label = drawing(x[0], y[0], np.random.default_rng(5), fmt=fmt)
        r = client.post("/api/digits/predict", files={"image": (f"d.{fmt}", data, f"image/{fmt}")})
        assert r.status_code == 200 and r.json()["prediction"] == label


def test_an_empty_canvas_is_a_422_asking_for_a_digit(client):
    blank = encode(np.zeros((280, 280, 4), np.uint8), mode="RGBA")
    r = post(client, blank)
    assert r.status_code == 422 and r.json()["code"] == "digits.error_empty"
    assert "draw a digit first" in r.json()["detail"]
    assert "請先寫一個數字" in post(client, blank, lang="zh-TW").json()["detail"]


@pytest.mark.parametrize("data, status", [
    (b"not an image at all", 415),
    (encode(np.full((280, 280, 3), 200, np.uint8))[:300], 422),  # a truncated PNG
    (b"\x89PNG" + b"\x00" * (2 * 1024 * 1024 + 10), 413),  # over 2 MB
    (real_bomb(), 413),  # 20 000 × 20 000 pixels
    (encode(np.zeros((1, 1, 3), np.uint8)), 422),  # 1 × 1
])
def test_bad_uploads_are_clear_4xx_and_the_server_keeps_serving(client, seven, data, status):
    r = post(client, data, lang="zh-TW")
    assert r.status_code == status, r.text
    assert r.json()["code"].startswith("digits.error_") and r.json()["detail"]
    assert not any(c.isascii() and c.isalpha() for c in r.json()["detail"].replace("PNG", "").replace("JPEG", "").replace("WebP", "").replace("MB", "")), \
        "the message is in Chinese"
    assert post(client, seven).json()["prediction"] == 7


def test_missing_image_and_unknown_model(client, seven):
    r = client.post("/api/digits/predict", data={"model": "cnn"}, headers={"accept-language": "en"})
    assert r.status_code == 422 and r.json()["code"] == "digits.error_no_image" and "image" in r.json()["detail"]
    r = client.post("/api/digits/predict", files={"image": ("d.png", b"\x89PNG" + b"\x00" * (5 << 20), "image/png")})
    assert r.status_code == 413  # refused from its Content-Length, before reading 5 MB
    assert post(client, seven, "../../etc/passwd").status_code == 404
    assert post(client, seven, "x" * 500).status_code == 404
    r = post(client, seven, "no-such-model")
    assert r.status_code == 404 and r.json()["code"] == "digits.error_unknown_model"
    r = post(client, seven, "imagenet-mobilenet-v2")  # a model, but not a digit model
    assert r.status_code == 404


def test_default_models_are_loaded_at_start_up(client):
    assert {"digits-cnn", "digits-dnn"} <= set(client.app.state.registry._predictors)


def test_the_page_shows_both_models_side_by_side(client):
    r = client.get("/digits", headers={"accept-language": "en"})
    assert r.status_code == 200 and "Handwritten digits" in r.text
    assert r.text.count('class="card digits-answer') == 2
    assert 'id="digit-pad"' in r.text and "/static/js/digits_canvas.js" in r.text
    r = client.get("/digits?model=dnn&vs=none")
    assert r.status_code == 200 and r.text.count('class="card digits-answer') == 1
    assert client.get("/digits?model=nope").status_code == 404
    assert client.get("/digits?brush=1000").status_code == 422


def test_the_fragment_is_the_partial_with_the_picture_and_two_answers(client, seven):
    r = client.post("/digits/predict", files={"image": ("d.png", seven, "image/png")},
                    data={"model": "digits-cnn", "vs": "digits-dnn"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text
    assert r.text.count('class="card digits-answer') == 2 and 'data-pixels="[[' in r.text
    assert r.text.count('data-testid="digits-top">7<') == 2
    blank = encode(np.full((280, 280, 3), 255, np.uint8))
    r = client.post("/digits/predict", files={"image": ("d.png", blank, "image/png")}, headers={"HX-Request": "true"})
    assert r.status_code == 422 and "error" in r.text and "<html" not in r.text


def test_every_answer_is_published_for_the_classroom(client, seven):
    heard = []
    client.app.state.result_listeners.append(lambda request, lab, payload: heard.append((lab, payload)))
    post(client, seven)
    lab, payload = heard[-1]
    assert lab == "digits" and payload["prediction"] == 7 and payload["model"] == "cnn"
    assert np.array(payload["input"]).shape == (28, 28)


@pytest.fixture
def my_model(client, settings):
    """A learner's own Keras model, saved the way the training jobs save one."""
    import keras

    from app.ml.networks import build_dnn

    keras.utils.set_random_seed(0)
    model = build_dnn([8])
    folder = settings.user_models_dir / "m-tiny"
    folder.mkdir(parents=True)
    model.save(folder / "model.keras")
    manifest = {"id": "m-tiny", "task": "digits", "engine": "keras", "file": "model.keras",
                "input": {"size": [28, 28, 1], "preprocess": "mnist"}, "labels": [str(d) for d in range(10)],
                "owner": "browser-me", "title": {"zh-TW": "我的小模型", "en": "My tiny model"}, "created": "2026-01-01T00:00:00"}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return model


def test_a_learners_keras_model_is_in_their_switch_and_works_by_link(client, seven, my_model):
    client.cookies.set("pg_browser", "browser-me")
    page = client.get("/digits", headers={"accept-language": "en"}).text
    assert 'value="m-tiny"' in page and "My tiny model" in page
    assert [m["id"] for m in client.get("/api/digits/models").json()] == ["digits-cnn", "digits-dnn", "m-tiny"]
    body = post(client, seven, "m-tiny").json()
    expected = np.asarray(my_model(np.array(body["input"], np.float32)[None, ..., None] / 255))[0]
    assert body["model"] == "m-tiny" and np.allclose(body["probabilities"], expected, atol=1e-3)

    client.cookies.set("pg_browser", "someone-else")
    page = client.get("/digits").text
    assert 'value="m-tiny"' not in page  # not in another browser's switch …
    page = client.get("/digits?model=m-tiny").text
    assert 'value="m-tiny" selected' in page  # … but a shared link opens it
    assert post(client, seven, "m-tiny").status_code == 200


def test_the_api_is_documented(client):
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/digits/predict"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"413", "415", "422"} <= set(operation["responses"])
    assert "/api/digits/models" in spec["paths"]


def test_a_broken_learner_model_is_a_503_not_a_500(client, settings, seven):
    folder = settings.user_models_dir / "m-broken"
    folder.mkdir(parents=True)
    (folder / "model.keras").write_bytes(b"not a keras file")
    (folder / "manifest.json").write_text(json.dumps({"id": "m-broken", "task": "digits", "engine": "keras", "file": "model.keras",
                                                      "input": {"size": [28, 28, 1], "preprocess": "mnist"}}), encoding="utf-8")
    r = post(client, seven, "m-broken")
    assert r.status_code == 503 and r.json()["code"] == "digits.error_model_unavailable"
    assert post(client, seven).status_code == 200
