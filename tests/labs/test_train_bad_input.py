"""Bad design values found by the API fuzz (issue 18): a clear 422 naming the field, never a 500."""

from __future__ import annotations

import pytest

BAD_QUERIES = ["layers=1&neurons=5000", "layers=1&neurons=0", "architecture=cnn&filters=0",
               "architecture=cnn&kernel=99", "architecture=cnn&pool=9", "architecture=cnn&dense=99999"]


@pytest.mark.parametrize("query", BAD_QUERIES)
@pytest.mark.parametrize("path", ["/train", "/train/design"])
def test_out_of_range_design_in_the_url_is_a_422_with_the_field(client, path, query):
    r = client.get(f"{path}?{query}")
    assert r.status_code == 422, r.text[:300]
    field = query.split("&")[-1].split("=")[0]
    assert {"neurons": "神經元數", "filters": "濾鏡數", "kernel": "濾鏡大小", "pool": "池化",
            "dense": "全連結層神經元數"}[field] in r.text


def test_form_with_a_billion_neurons_is_a_422(client):
    r = client.post("/train/jobs", data={"architecture": "dnn", "layers": "1", "neurons": "1000000000"},
                    follow_redirects=False)
    assert r.status_code == 422 and "神經元數" in r.text


def test_empty_form_post_starts_no_job(client):
    r = client.post("/train/jobs", follow_redirects=False)
    assert r.status_code == 422
    assert client.get("/api/jobs").json() == []


@pytest.mark.parametrize("epochs", ["5", True, 5.5])
def test_api_numbers_are_numbers(client, epochs):
    r = client.post("/api/jobs", json={"epochs": epochs, "hidden_layers": [8]})
    assert r.status_code == 422
    assert "訓練輪數" in r.json()["detail"] and "整數" in r.json()["detail"]
    r = client.post("/api/train/preview", json={"epochs": epochs})
    assert r.status_code == 422


def test_nan_learning_rate_has_its_own_message(client):
    r = client.post("/api/jobs", content='{"learning_rate": NaN}', headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert "NaN" in r.json()["detail"] and "不能大於" not in r.json()["detail"]


def test_no_message_names_the_field_question_mark(client):
    r = client.post("/api/jobs", json={"hidden_layers": [0]})
    assert r.status_code == 422 and "?" not in r.json()["detail"] and "隱藏層" in r.json()["detail"]
    r = client.post("/api/jobs", content="[]", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "「?」" not in r.json()["detail"]


def test_a_61_character_nickname_gets_the_nickname_message(client):
    r = client.post("/join", data={"code": "ABCD", "nickname": "x" * 61})
    assert r.status_code == 422 and "請取一個暱稱" in r.text
    r = client.post("/api/classes/ABCD/join", json={"nickname": "x" * 61})
    assert r.status_code == 422 and "暱稱" in r.json()["detail"] and "60 個字" in r.json()["detail"]
