"""POST /digits/ink, the page's live path: the ink the page sends (digits_canvas.js inkBox(), twinned
by app.ml.digits.ink_box) gives the very same 28×28 picture and probabilities as the PNG reference
path; both models answer; the classroom hears it; bad bodies are clear 4xx in the learner's language."""

from __future__ import annotations

import base64
import io
import zlib

import numpy as np
import pytest
from PIL import Image

from app.ml import digits as digit_math
from app.ml.digit_drawings import drawing


@pytest.fixture(scope="module")
def drawings(shared):
    with np.load(shared / "datasets" / "mnist.npz") as data:
        x, y = data["x_test"][:40], data["y_test"][:40]
    rng = np.random.default_rng(3)
    return [(drawing(x[i], int(y[i]), rng, fmt="transparent")[0], int(y[i])) for i in range(len(x))]


EN = {"accept-language": "en"}


def ink_of(png: bytes) -> np.ndarray:
    """What the page sends for this canvas: its alpha channel, cut to the box that holds ink."""
    with Image.open(io.BytesIO(png)) as image:
        return np.ascontiguousarray(digit_math.ink_box(np.asarray(image.convert("RGBA"))[..., 3]))


def send(client, ink: np.ndarray, deflate: bool = True, query: str = "model=digits-cnn&vs=digits-dnn", lang="en", **kw):
    body = zlib.compress(ink.tobytes()) if deflate else ink.tobytes()
    headers = {"content-encoding": "deflate"} if deflate else {}
    h, w = ink.shape
    return client.post(f"/digits/ink?{query}&w={w}&h={h}", content=body,
                       headers={"accept-language": lang, "content-type": "application/octet-stream", **headers}, **kw)


def picture_of(answer: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(answer["input"]), np.uint8).reshape(28, 28)


def test_the_ink_path_answers_like_the_png_path(client, drawings):
    for png, label in drawings:
        live = send(client, ink_of(png))
        assert live.status_code == 200, live.text
        body = live.json()
        assert [a["model"] for a in body["answers"]] == ["digits-cnn", "digits-dnn"]
        for a in body["answers"]:
            assert len(a["probabilities"]) == 10 and abs(sum(a["probabilities"]) - 1) < 1e-3
            assert a["prediction"] == int(np.argmax(a["probabilities"]))
        reference = client.post("/api/digits/predict", files={"image": ("d.png", png, "image/png")}, data={"model": "cnn"}).json()
        assert picture_of(body).tolist() == reference["input"], "the same 28×28 picture as from the PNG"
        assert np.allclose(body["answers"][0]["probabilities"], reference["probabilities"], atol=1e-5)
        assert live.headers["server-timing"].startswith("preprocess;dur=")
        assert live.headers["x-content-type-options"] == "nosniff"  # the security headers, as on every answer


def test_raw_bytes_and_one_model(client, drawings):
    png, label = drawings[0]
    r = send(client, ink_of(png), deflate=False, query="model=cnn&vs=none")
    assert r.status_code == 200
    assert [a["model"] for a in r.json()["answers"]] == ["digits-cnn"]
    assert r.json()["answers"][0]["prediction"] == label


def test_the_ink_box_holds_every_inked_pixel():
    alpha = np.zeros((6, 7), np.uint8)
    alpha[1, 2], alpha[4, 5] = 1, 255
    assert digit_math.ink_box(alpha).shape == (4, 4) and digit_math.ink_box(alpha)[0, 0] == 1
    assert digit_math.ink_box(np.zeros((5, 5), np.uint8)).size == 0


def test_every_live_answer_is_published_for_the_classroom(client, drawings):
    heard = []
    client.app.state.result_listeners.append(lambda request, lab, payload: heard.append((lab, payload)))
    png, label = drawings[0]
    send(client, ink_of(png))
    lab, payload = heard[-1]
    assert lab == "digits" and payload["prediction"] == label and payload["model"] == "digits-cnn"
    assert np.asarray(payload["input"]).shape == (28, 28) and np.asarray(payload["input"]).max() == 255


@pytest.mark.parametrize("case, status, words", [
    ("empty", 422, "draw"), ("short", 422, "image"), ("bomb", 422, "image"), ("not zlib", 422, "image"),
    ("no box", 422, "draw"), ("huge", 413, "600×600"), ("unknown model", 404, "nope"),
])
def test_bad_bodies_are_clear_4xx_in_the_learners_language(client, drawings, case, status, words):
    ink = ink_of(drawings[0][0])
    if case == "empty":
        r = send(client, np.zeros((140, 140), np.uint8))
    elif case == "short":
        r = client.post(f"/digits/ink?w={ink.shape[1]}&h={ink.shape[0]}", content=ink.tobytes()[:-1], headers=EN)
    elif case == "bomb":  # far more bytes than the picture once inflated
        r = client.post("/digits/ink?w=200&h=200", content=zlib.compress(bytes(50_000_000)), headers={**EN, "content-encoding": "deflate"})
    elif case == "not zlib":
        r = client.post("/digits/ink?w=200&h=200", content=b"not deflated at all", headers={**EN, "content-encoding": "deflate"})
    elif case == "no box":
        r = client.post("/digits/ink?w=0&h=0", content=b"", headers=EN)
    elif case == "huge":  # a box of zeros that deflates small but would hold up the event loop
        r = client.post("/digits/ink?w=4000&h=4000", content=zlib.compress(bytes(16_000_000)), headers={**EN, "content-encoding": "deflate"})
    else:
        r = send(client, ink, query="model=nope")
    assert r.status_code == status, r.text
    assert words in r.json()["detail"].lower()
    zh = send(client, np.zeros((140, 140), np.uint8), lang="zh-TW")
    assert zh.status_code == 422 and any("\u4e00" <= ch <= "\u9fff" for ch in zh.json()["detail"])
    assert send(client, ink).status_code == 200  # and the server keeps serving
