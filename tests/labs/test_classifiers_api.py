"""The classifiers JSON API: bad input is refused with a clear message and nothing enqueued; photos
are private to their browser; and the whole pipeline — create, upload the shared myna photos,
train on a real worker process, classify held-out photos through the photo lab's API, delete."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.jobs.queue import pending_count
from app.main import create_app
from tests.jobs.conftest import Worker, job_settings, wait_done

MYNA = [("common_myna", "家八哥"), ("crested_myna", "土八哥"), ("javan_myna", "白尾八哥")]


def jpeg(color=(200, 60, 40), size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def images(*datas: bytes, names=None):
    return [("images", ((names or [f"p{i}.jpg" for i in range(len(datas))])[i], d, "image/jpeg")) for i, d in enumerate(datas)]


def job_rows(settings) -> int:
    from sqlalchemy import func, select

    from app.db import session_scope
    from app.jobs.tables import Job

    with session_scope(settings.database_url_resolved) as s:
        return s.scalar(select(func.count()).select_from(Job))


def new(client, classes, name="測試") -> str:
    r = client.post("/api/classifiers", json={"name": name, "classes": classes})
    assert r.status_code == 201, r.text
    return r.json()["id"]


# --- bad input: clear messages, nothing stored, nothing enqueued -----------------------------------

@pytest.mark.parametrize("classes, code, words", [
    (["家八哥"], "classifiers.error_few_classes", "至少要有 2 個類別"),
    ([], "classifiers.error_few_classes", "至少要有 2 個類別"),
    (["a", "b", "c", "d", "e", "f", "g"], "classifiers.error_many_classes", "最多只能有 6 個類別"),
    (["土八哥", " 土八哥 "], "classifiers.error_duplicate", "「土八哥」重複了"),
    (["Cat", "cat"], "classifiers.error_duplicate", "重複了"),
    (["cat", "   "], "classifiers.error_empty_class", "不能是空白"),
    (["cat", "x" * 41], "classifiers.error_long_class", "太長了"),
])
def test_bad_class_names_are_refused_in_words(client, classes, code, words):
    r = client.post("/api/classifiers", json={"name": "x", "classes": classes})
    assert r.status_code == 422 and r.json()["code"] == code and words in r.json()["detail"], r.text
    assert client.get("/api/classifiers").json() == []  # nothing was made


def test_the_answer_is_in_the_learners_language(client):
    r = client.post("/api/classifiers", json={"classes": ["cat", "Cat"]}, headers={"accept-language": "en"})
    assert r.json()["detail"] == "The class name “Cat” is used twice. Give every class a different name."


def test_photos_are_checked_and_a_bad_batch_stores_nothing(client, settings):
    cid = new(client, ["紅", "藍"])
    url = f"/api/classifiers/{cid}/classes/0/images"
    r = client.post(url, files=images(jpeg(), jpeg()))
    assert r.status_code == 200 and r.json() == {"id": cid, "counts": [2, 0], "total": 2}

    r = client.post(url, files=images(jpeg(), b"%PDF-1.7 not a photo", names=["ok.jpg", "report.pdf"]))
    assert r.status_code == 415 and "「report.pdf」" in r.json()["detail"] and "PDF" in r.json()["detail"]
    r = client.post(url, files=images(b"hello, I am text", names=["notes.txt"]))
    assert r.status_code == 415 and "notes.txt" in r.json()["detail"]
    r = client.post(url, files=images(b"\xff" * (15 * 1024 * 1024 + 1), names=["huge.jpg"]))
    assert r.status_code == 413 and "15 MB" in r.json()["detail"]
    r = client.post(url)
    assert r.status_code == 422 and r.json()["code"] == "classifiers.error_no_files"
    assert client.get(f"/api/classifiers/{cid}").json()["total_photos"] == 2  # none of the bad batches

    r = client.post(f"/api/classifiers/{cid}/classes/2/images", files=images(jpeg()))
    assert r.status_code == 404  # there is no third class


def test_at_most_200_photos(client):
    cid = new(client, ["a", "b"])
    tiny = jpeg(size=(40, 40))
    r = client.post(f"/api/classifiers/{cid}/classes/0/images", files=images(*[tiny] * 150))
    assert r.status_code == 200 and r.json()["total"] == 150
    r = client.post(f"/api/classifiers/{cid}/classes/1/images", files=images(*[tiny] * 51))
    assert r.status_code == 413 and "200" in r.json()["detail"] and "50" in r.json()["detail"]
    assert client.get(f"/api/classifiers/{cid}").json()["total_photos"] == 150


def test_too_few_photos_enqueue_nothing(client, settings):
    cid = new(client, ["家八哥", "土八哥"])
    client.post(f"/api/classifiers/{cid}/classes/0/images", files=images(*[jpeg()] * 5))
    client.post(f"/api/classifiers/{cid}/classes/1/images", files=images(*[jpeg((0, 0, 255))] * 4))
    r = client.post(f"/api/classifiers/{cid}/train")
    assert r.status_code == 422 and r.json()["detail"] == "「土八哥」只有 4 張照片；每個類別至少要 5 張才能訓練。"
    assert job_rows(settings) == 0 and pending_count(settings) == 0


def test_enough_photos_enqueue_one_job_and_the_page_says_no_worker_is_online(client, settings):
    cid = new(client, ["紅", "藍"])
    client.post(f"/api/classifiers/{cid}/classes/0/images", files=images(*[jpeg((200, 0, 0))] * 5))
    client.post(f"/api/classifiers/{cid}/classes/1/images", files=images(*[jpeg((0, 0, 200))] * 5))
    r = client.post(f"/api/classifiers/{cid}/train")
    assert r.status_code == 202 and job_rows(settings) == 1 and pending_count(settings) == 1
    job = client.get(f"/api/jobs/{r.json()['job_id']}").json()
    assert job["kind"] == "transfer" and job["status"] == "queued" and job["params"]["classes"] == ["紅", "藍"]
    again = client.post(f"/api/classifiers/{cid}/train")
    assert again.status_code == 409 and job_rows(settings) == 1  # one training at a time
    status = client.get(f"/classifiers/{cid}/status").text
    assert 'id="no-worker"' in status and 'hx-trigger="every 1s"' in status  # polls while queued


def test_the_page_works_without_javascript(client):
    cid = new(client, ["a", "b"])
    # What a browser sends for the form: the chosen photo, and the unused camera field (filename="").
    body = (b'--XX\r\nContent-Disposition: form-data; name="images"; filename="cat.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
            + jpeg() + b'\r\n--XX\r\nContent-Disposition: form-data; name="images"; filename=""\r\n'
            b'Content-Type: application/octet-stream\r\n\r\n\r\n--XX--\r\n')
    r = client.post(f"/classifiers/{cid}/classes/0/photos", content=body, follow_redirects=False,
                    headers={"content-type": "multipart/form-data; boundary=XX"})
    assert r.status_code == 303 and r.headers["location"] == f"/classifiers/{cid}#class-0"
    photo_id = client.get(f"/api/classifiers/{cid}").json()["classes"][0]["photo_ids"][0]
    r = client.post(f"/classifiers/{cid}/photos/{photo_id}/remove", data={"index": "0"}, follow_redirects=False)
    assert r.status_code == 303 and client.get(f"/api/classifiers/{cid}").json()["total_photos"] == 0
    r = client.post(f"/classifiers/{cid}/train")  # a full error page, in words, with the right status
    assert r.status_code == 422 and "至少要 5 張" in r.text and "<html" in r.text
    r = client.post(f"/classifiers/{cid}/delete", follow_redirects=False)
    assert r.status_code == 303 and client.get(f"/api/classifiers/{cid}").status_code == 404


def test_remove_a_photo(client):
    cid = new(client, ["a", "b"])
    client.post(f"/api/classifiers/{cid}/classes/1/images", files=images(jpeg(), jpeg((1, 2, 3))))
    photo_id = client.get(f"/api/classifiers/{cid}").json()["classes"][1]["photo_ids"][0]
    r = client.delete(f"/api/classifiers/{cid}/photos/{photo_id}")
    assert r.status_code == 200 and r.json()["counts"] == [0, 1]
    assert client.delete(f"/api/classifiers/{cid}/photos/{photo_id}").status_code == 404  # already gone


def test_photos_are_private_to_their_browser(client, settings):
    cid = new(client, ["a", "b"])
    client.post(f"/api/classifiers/{cid}/classes/0/images", files=images(jpeg()))
    photo_id = client.get(f"/api/classifiers/{cid}").json()["classes"][0]["photo_ids"][0]
    thumb = client.get(f"/classifiers/{cid}/photos/{photo_id}.jpg")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.content)).size == (224, 224)  # only the crop the network sees is kept
    with TestClient(client.app) as other:  # another browser (no cookie)
        assert other.get(f"/classifiers/{cid}/photos/{photo_id}.jpg").status_code == 404
        assert other.get(f"/api/classifiers/{cid}").status_code == 404
        assert other.post(f"/api/classifiers/{cid}/classes/0/images", files=images(jpeg())).status_code == 404
        assert other.delete(f"/api/classifiers/{cid}").status_code == 404
    assert client.get(f"/api/classifiers/{cid}").status_code == 200


def test_photos_expire_after_a_week_unchanged(client, settings):
    from datetime import timedelta

    from sqlalchemy import update

    from app.classifiers import service
    from app.classifiers.tables import Classifier, utcnow
    from app.db import session_scope

    old, fresh = new(client, ["a", "b"]), new(client, ["c", "d"])
    for cid in (old, fresh):
        client.post(f"/api/classifiers/{cid}/classes/0/images", files=images(jpeg()))
    with session_scope(settings.database_url_resolved) as s:
        s.execute(update(Classifier).where(Classifier.id == old)
                  .values(updated=utcnow() - timedelta(days=service.PHOTO_RETENTION_DAYS, minutes=1)))
    new(client, ["e", "f"])  # making a classifier is when expired photos are forgotten
    assert client.get(f"/api/classifiers/{old}").json()["total_photos"] == 0
    assert client.get(f"/api/classifiers/{old}").json()["photos_purged"] is True
    assert "自動刪除了" in client.get(f"/classifiers/{old}").text
    assert client.get(f"/api/classifiers/{fresh}").json()["total_photos"] == 1


def test_train_options_are_checked(client, settings):
    cid = new(client, ["a", "b"])
    r = client.post(f"/api/classifiers/{cid}/train", json={"holdout": 0})
    assert r.status_code == 422 and r.json()["code"] == "invalid"
    for c in (0, 1):
        client.post(f"/api/classifiers/{cid}/classes/{c}/images", files=images(*[jpeg((90 * c, 0, 0))] * 5))
    for base in ("no-such-model", "imagenet-mobilenet-v2"):  # the base must be a feature extractor ("embedding")
        r = client.post(f"/api/classifiers/{cid}/train", json={"base": base})
        assert r.status_code == 422 and r.json()["code"] == "classifiers.error_base" and base in r.json()["detail"]
    assert job_rows(settings) == 0


def test_the_pages_render_in_both_languages(client):
    cid = new(client, ["家八哥", "土八哥"], name="八哥辨識器")
    for lang, words in (("zh-TW", "加照片"), ("en", "Add photos")):
        client.cookies.set("lang", lang)
        for url in ("/classifiers", f"/classifiers/{cid}", "/classifiers?preset=myna"):
            r = client.get(url)
            visible = re.sub(r'<script type="application/json".*?</script>', "", r.text, flags=re.S)
            assert r.status_code == 200 and not re.findall(r"(?<![/\w])classifiers\.\w+", visible), url  # no missing key
        assert words in client.get(f"/classifiers/{cid}").text
    client.cookies.set("lang", "zh-TW")
    assert "白尾八哥" in client.get("/classifiers?preset=myna").text
    assert client.get("/classifiers/my-nothing").status_code == 404


def test_the_form_creates_or_says_what_is_wrong(client):
    r = client.post("/classifiers", data={"name": "x", "classes": ["只有一個", ""]})
    assert r.status_code == 422 and "至少要有 2 個類別" in r.text and 'value="只有一個"' in r.text
    r = client.post("/classifiers", data={"name": "x", "classes": ["甲", "乙", ""]}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/classifiers/my-")


# --- the whole pipeline on a real worker process ----------------------------------------------------

@pytest.fixture(scope="module")
def env(tmp_path_factory, shared):
    settings = job_settings(tmp_path_factory.mktemp("classifiers") / "data", shared)
    with TestClient(create_app(settings)) as client:
        worker = Worker(settings)
        try:
            yield settings, client, worker, shared
        finally:
            worker.stop()


def myna_files(shared: Path) -> list[list[Path]]:
    return [sorted((shared / "datasets" / "myna" / folder).glob("*.jpg")) for folder, _ in MYNA]


@pytest.mark.slow
def test_myna_pipeline_reaches_the_target_on_held_out_photos(env):
    """The issue's target: ≥ 80 % on 3 held-out photos per species, over several random splits,
    through the API and a worker process; the held-out photos are then classified again through
    POST /api/photos/classify (fresh uploads, not the stored crops)."""
    settings, client, worker, shared = env
    cid = new(client, [name for _, name in MYNA], name="八哥辨識器")
    files = myna_files(shared)
    for k, paths in enumerate(files):
        r = client.post(f"/api/classifiers/{cid}/classes/{k}/images",
                        files=[("images", (p.name, p.read_bytes(), "image/jpeg")) for p in paths])
        assert r.status_code == 200, r.text
    view = client.get(f"/api/classifiers/{cid}").json()
    assert [c["count"] for c in view["classes"]] == [25, 9, 14]
    path_of = {pid: files[k][i] for k, c in enumerate(view["classes"]) for i, pid in enumerate(c["photo_ids"])}

    accuracies, seconds, api_hits, api_total = [], [], 0, 0
    for seed in range(5):
        r = client.post(f"/api/classifiers/{cid}/train", json={"seed": seed, "holdout": 3})
        assert r.status_code == 202, r.text
        job = wait_done(client, r.json()["job_id"], timeout=240)
        assert job["status"] == "succeeded", job
        assert job["worker"].endswith(f":{worker.pid}") and job["kind"] == "transfer"
        result = job["result"]
        assert len(result["val_photo_ids"]) == 9 and result["parameters"] == 1024 * 3 + 3
        assert result["borrowed_parameters"] > 3_000_000  # millions borrowed, a few thousand trained
        assert [h["epoch"] for h in job["history"]][-1] == 50 and "val_accuracy" in job["history"][-1]
        accuracies.append(result["val_accuracy"])
        seconds.append(result["train_seconds"] + result["embed_seconds"])
        # The same held-out photos, uploaded afresh to the photo lab's API with model=<id>.
        for pid, guess in zip(result["val_photo_ids"], result["val_guesses"]):
            path = path_of[pid]
            answer = client.post("/api/photos/classify", data={"model": cid, "top": "3"},
                                 files={"image": (path.name, path.read_bytes(), "image/jpeg")})
            assert answer.status_code == 200, answer.text
            best = answer.json()["predictions"][0]
            truth = next(k for k, paths in enumerate(files) if path in paths)
            assert best["label_zh"] == best["label_en"] == MYNA[best["class_index"]][1]
            api_hits += best["class_index"] == truth
            api_total += 1
    model = client.get(f"/api/classifiers/{cid}").json()["model"]  # the last split, as the page shows it
    assert len(model["held_out"]) == 9 and model["val_accuracy"] == accuracies[-1]
    assert sum(h["right"] for h in model["held_out"]) == round(accuracies[-1] * 9)
    print(f"\nmyna held-out accuracy per split {accuracies}, mean {np.mean(accuracies):.3f}; "
          f"through /api/photos/classify {api_hits}/{api_total}; embed+train seconds {seconds}")
    assert np.mean(accuracies) >= 0.8, accuracies
    assert api_hits / api_total >= 0.8

    # The photo lab lists it for this browser, with the learner's own name; others reach it by link.
    assert "八哥辨識器" in client.get("/photos").text
    with TestClient(client.app) as other:
        assert "八哥辨識器" not in other.get("/photos").text
        assert other.get(f"/photos?model={cid}").status_code == 200
        assert other.get(f"/api/classifiers/{cid}").status_code == 404  # …but not its photos

    # The delete button: photos, model folder and the registry's entry are gone.
    r = client.delete(f"/api/classifiers/{cid}")
    assert r.status_code == 200 and r.json()["deleted"]
    assert not (settings.user_models_dir / cid).exists()
    path = files[0][0]
    r = client.post("/api/photos/classify", data={"model": cid}, files={"image": (path.name, path.read_bytes(), "image/jpeg")})
    assert r.status_code == 404
    assert client.get(f"/api/classifiers/{cid}").status_code == 404


@pytest.mark.slow
def test_training_twice_at_once_is_refused_and_a_deleted_classifier_stops(env):
    settings, client, worker, shared = env
    cid = new(client, ["家八哥", "白尾八哥"])
    files = myna_files(shared)
    for k, paths in enumerate((files[0][:5], files[2][:5])):
        client.post(f"/api/classifiers/{cid}/classes/{k}/images",
                    files=[("images", (p.name, p.read_bytes(), "image/jpeg")) for p in paths])
    r = client.post(f"/api/classifiers/{cid}/train")
    assert r.status_code == 202
    job_id = r.json()["job_id"]
    again = client.post(f"/api/classifiers/{cid}/train")
    assert again.status_code in (202, 409)  # 409 while the first one is still queued or running
    if again.status_code == 409:
        assert again.json()["code"] == "classifiers.error_training"
    job = wait_done(client, again.json().get("job_id", job_id) if again.status_code == 202 else job_id)
    assert job["status"] == "succeeded"
    page = client.get(f"/classifiers/{cid}").text
    assert 'id="val-accuracy"' in page and "借來的參數" in page and 'id="trained-count">2,050<' in page
    # A web host that is not the worker's (or lost its copy) puts the model in place from the job's files.
    import shutil

    shutil.rmtree(settings.user_models_dir / cid)
    assert client.get(f"/api/classifiers/{cid}").json()["model"]["val_accuracy"] is not None
    assert (settings.user_models_dir / cid / "head.npz").exists()
    path = files[2][6]
    r = client.post("/api/photos/classify", data={"model": cid}, files={"image": (path.name, path.read_bytes(), "image/jpeg")})
    assert r.status_code == 200 and {p["label_zh"] for p in r.json()["predictions"]} == {"家八哥", "白尾八哥"}
    assert client.delete(f"/api/classifiers/{cid}").status_code == 200
    deadline = time.time() + 5
    while (settings.user_models_dir / cid).exists() and time.time() < deadline:
        time.sleep(0.1)
    assert not (settings.user_models_dir / cid).exists()
