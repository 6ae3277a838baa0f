"""The photo lab through HTTP: POST /api/photos/classify on the real photos, the page and its
fragments, every kind of bad upload answered with a 4xx in the learner's language."""

from __future__ import annotations

import io
import json

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from app.ml import imagenet
from app.settings import Settings
from tests.ml.test_photos_classify import BEAR_PHOTOS, learners_classifier
from tests.ml.test_photos_decode import BAD, encode, two_halves

URL = "/api/photos/classify"


@pytest.fixture(scope="module")
def app_settings(tmp_path_factory, shared) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("photos") / "data", assets_dir=shared, workers=0)


@pytest.fixture(scope="module")
def api(app_settings):
    with TestClient(create_app(app_settings)) as c:
        yield c


def post_photo(client, data: bytes, name="photo.jpg", lang="zh-TW", headers=None, **fields):
    return client.post(URL, files={"image": (name, data, "image/jpeg")}, data={k: str(v) for k, v in fields.items()},
                       headers={"accept-language": lang, **(headers or {})})


def photo(shared, name) -> bytes:
    return (shared / "photos" / name).read_bytes()


@pytest.mark.parametrize("name", BEAR_PHOTOS)
def test_every_bear_photo_is_a_bear(api, shared, name):
    r = post_photo(api, photo(shared, name), name)
    assert r.status_code == 200
    assert r.json()["predictions"][0]["class_index"] in imagenet.BEAR_CLASSES


@pytest.mark.parametrize("name, index, en, zh", [
    ("asiatic_black_bear.jpg", 295, "American black bear", "美洲黑熊"),
    ("parrot.jpg", 88, "macaw", "金剛鸚鵡"),
    ("panda.jpg", 388, "giant panda", "大貓熊"),
])
def test_the_answer_has_both_languages_and_the_standard_index(api, shared, name, index, en, zh):
    r = post_photo(api, photo(shared, name), name)
    body = r.json()
    assert r.status_code == 200 and body["model"] == "imagenet-mobilenet-v2"
    assert len(body["predictions"]) == 5  # the default
    best = body["predictions"][0]
    assert (best["class_index"], best["label_en"], best["label_zh"]) == (index, en, zh)
    assert 0.5 < best["probability"] <= 1
    p = [x["probability"] for x in body["predictions"]]
    assert p == sorted(p, reverse=True)
    assert "decode;dur=" in r.headers["server-timing"]


@pytest.mark.parametrize("top", [1, 3, 10])
def test_top_k(api, shared, top):
    r = post_photo(api, photo(shared, "cat.bmp"), "cat.bmp", top=top)
    assert r.status_code == 200 and len(r.json()["predictions"]) == top


@pytest.mark.parametrize("top", [0, 11, "five"])
def test_top_out_of_range_is_explained(api, shared, top):
    r = post_photo(api, photo(shared, "cat.bmp"), lang="en", top=top)
    assert r.status_code == 422 and r.json()["code"] == "invalid"
    assert "top" in r.json()["detail"]
    r = post_photo(api, photo(shared, "cat.bmp"), lang="zh-TW", top=top)
    assert "前幾名" in r.json()["detail"]


def test_unknown_model_and_a_model_that_is_not_for_photos(api, shared):
    r = post_photo(api, photo(shared, "cat.bmp"), model="no-such-model")
    assert r.status_code == 404 and "no-such-model" in r.json()["detail"]
    r = post_photo(api, photo(shared, "cat.bmp"), lang="en", model="imagenet-mobilenet-v1-embedding")
    assert r.status_code == 422 and r.json()["code"] == "photos.error_model_task"


def test_a_learners_classifier_answers_with_its_own_labels(app_settings, api, shared):
    labels = ["class"] * 1001
    labels[296] = "土八哥"
    model_id = learners_classifier(app_settings, shared, labels)
    r = post_photo(api, photo(shared, "asiatic_black_bear.jpg"), model=model_id, top=2)
    assert r.status_code == 200
    best = r.json()["predictions"][0]
    assert r.json()["model"] == model_id
    assert (best["class_index"], best["label_en"], best["label_zh"]) == (296, "土八哥", "土八哥")


BAD_MESSAGES = {  # a word of each message, in each language
    "photos.error_empty": ("空的", "empty"), "photos.error_not_image": ("圖片檔", "not an image"),
    "photos.error_pdf": ("PDF", "PDF"), "photos.error_too_large": ("15 MB", "15 MB"),
    "photos.error_bomb": ("像素太多", "too many pixels"), "photos.error_too_small": ("太小", "too small"),
    "photos.error_animated": ("會動", "animated"), "photos.error_truncated": ("不完整", "incomplete"),
}


@pytest.mark.parametrize("name", list(BAD) + ["truncated JPEG"])
def test_bad_uploads_get_a_4xx_in_the_learners_language_and_the_server_keeps_serving(api, shared, name):
    if name == "truncated JPEG":
        full = encode(two_halves(800, 600), "JPEG", quality=95)
        data, status, key = full[: len(full) // 2], 422, "photos.error_truncated"
    else:
        data, status, key = BAD[name]
    for lang, word in zip(("zh-TW", "en"), BAD_MESSAGES[key]):
        r = post_photo(api, data, "photo.jpg", lang=lang)
        assert r.status_code == status, r.text
        assert r.json()["code"] == key and word in r.json()["detail"]
    assert post_photo(api, photo(shared, "parrot.jpg")).json()["predictions"][0]["label_en"] == "macaw"


def test_no_photo_at_all(api):
    assert api.post(URL, data={"top": "3"}).json()["code"] == "photos.error_no_image"
    assert api.post(URL, json={"image": "x"}).status_code == 422


def test_the_api_is_documented(api):
    op = api.get("/openapi.json").json()["paths"][URL]["post"]
    schema = op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"image", "model", "top"} <= set(schema["properties"]) and schema["required"] == ["image"]
    assert {"404", "413", "415", "422"} <= set(op["responses"])


# ---- the page and its fragments ------------------------------------------------------------

def test_the_page_says_photos_are_not_stored_and_lists_photo_models_only(api):
    r = api.get("/photos")
    assert r.status_code == 200
    assert "不會存到伺服器的硬碟上" in r.text
    assert 'value="imagenet-mobilenet-v2"' in r.text and "imagenet-mobilenet-v1-embedding" not in r.text
    assert "/static/gallery/chelsea.jpg" in r.text
    r = api.get("/photos", headers={"cookie": "lang=en"})
    assert "never written to the server" in r.text


def test_an_example_in_the_url_is_shown_with_the_crop_and_the_function_view(api):
    r = api.get("/photos?example=coffee&model=imagenet-mobilenet-v2", headers={"cookie": "lang=en"})
    assert r.status_code == 200
    assert 'id="photos-top1-label">espresso<' in r.text
    assert 'src="data:image/png;base64,' in r.text  # the 224 × 224 crop, never a file
    assert "150,528" in r.text and "1000" in r.text
    frag = api.get("/photos/result?example=coffee", headers={"hx-request": "true"})
    assert frag.status_code == 200 and "<html" not in frag.text and "濃縮咖啡" in frag.text


def test_the_upload_fragment_and_the_page_without_javascript(api, shared):
    files = {"image": ("panda.jpg", photo(shared, "panda.jpg"), "image/jpeg")}
    r = api.post("/photos/classify", files=files, headers={"hx-request": "true"})
    assert r.status_code == 200 and "<html" not in r.text and "大貓熊" in r.text
    r = api.post("/photos/classify", files=files)
    assert r.status_code == 200 and "<html" in r.text and "大貓熊" in r.text
    r = api.post("/photos/classify", files={"image": ("x.jpg", b"%PDF-1.4", "image/jpeg")}, headers={"hx-request": "true"})
    assert r.status_code == 415 and 'class="error-box"' in r.text and "<html" not in r.text


def test_a_bad_address_opens_the_lab_with_the_reason_inline(api):
    r = api.get("/photos?example=nope")
    assert r.status_code == 404 and "沒有這張範例照片" in r.text and 'id="photos-file"' in r.text
    r = api.get("/photos?model=no-such-model", headers={"cookie": "lang=en"})
    assert r.status_code == 404 and "no-such-model" in r.text and 'id="photos-file"' in r.text
    r = api.get("/photos?model=" + "x" * 100)
    assert r.status_code == 422 and 'class="error-box"' in r.text
    assert api.get("/photos/result?example=coffee&model=../../etc", headers={"hx-request": "true"}).status_code == 422


def test_uploads_are_not_written_to_disk(api, app_settings, shared, monkeypatch):
    """A 4 MB photo: Starlette would spool an upload over 1 MB to a temporary file; ours stays in memory."""
    import tempfile

    opened = []

    def no_temporary_files(*args, **kwargs):
        opened.append(args)
        raise AssertionError("an upload was about to be written to a temporary file")

    monkeypatch.setattr(tempfile, "TemporaryFile", no_temporary_files)  # what SpooledTemporaryFile rolls over to
    before = set(app_settings.data_dir.rglob("*"))
    r = post_photo(api, photo(shared, "sun_bear_large.jpg"), "sun_bear_large.jpg")
    assert r.status_code == 200 and opened == []
    new = set(app_settings.data_dir.rglob("*")) - before
    assert not [p for p in new if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".tmp", "")], new


def test_results_are_published_for_the_classroom(app_settings, shared):
    seen = []
    app = create_app(app_settings)
    app.state.result_listeners.append(lambda request, lab, payload: seen.append((lab, payload)))
    with TestClient(app) as c:
        post_photo(c, photo(shared, "parrot.jpg"))
    assert seen and seen[0][0] == "photos"
    assert seen[0][1]["label"] == "金剛鸚鵡" and seen[0][1]["class_index"] == 88
    assert set(seen[0][1]) <= {"label", "label_en", "label_zh", "class_index", "probability", "model", "source"}  # no photo


def test_a_gif_with_one_frame_and_a_png_with_alpha_are_fine(api):
    for fmt, im in (("GIF", Image.new("RGB", (80, 80), (0, 128, 0))), ("PNG", Image.new("RGBA", (80, 80), (0, 0, 0, 0)))):
        out = io.BytesIO()
        im.save(out, fmt)
        assert post_photo(api, out.getvalue()).status_code == 200


def test_without_the_model_file_and_offline_the_app_still_starts_and_says_what_to_do(tmp_path, monkeypatch, shared):
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")  # no internet, whatever the machine has
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    settings = Settings(data_dir=tmp_path / "data", assets_dir=None, workers=0)
    with TestClient(create_app(settings)) as c:  # warm() logs the missing model, start-up goes on
        assert c.get("/photos").status_code == 200
        r = post_photo(c, photo(shared, "parrot.jpg"), lang="en")
        assert r.status_code == 503 and "playground fetch-models" in r.json()["detail"]


def test_a_learners_model_is_in_the_switch_for_its_owner_only(app_settings, api, shared):
    model_id = "my-mynas"
    if not (app_settings.user_models_dir / model_id).exists():
        learners_classifier(app_settings, shared, ["a"] * 1001)
    mine = api.get("/photos", headers={"cookie": "pg_browser=browser-1"}).text
    assert f'value="{model_id}"' in mine and "你訓練的" in mine
    assert f'value="{model_id}"' not in api.get("/photos", headers={"cookie": "pg_browser=someone-else"}).text


def test_a_broken_learners_model_is_a_503_not_a_crash(app_settings, api, shared):
    folder = app_settings.user_models_dir / "broken-photos"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.tflite").write_bytes(b"this is not a model")
    (folder / "manifest.json").write_text(json.dumps({"id": "broken-photos", "task": "photos", "engine": "litert",
                                                      "file": "model.tflite", "labels": ["a", "b"]}))
    r = post_photo(api, photo(shared, "parrot.jpg"), lang="en", model="broken-photos")
    assert r.status_code == 503 and r.json()["code"] == "photos.error_model_broken"
    assert post_photo(api, photo(shared, "parrot.jpg")).status_code == 200
