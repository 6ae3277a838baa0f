"""POST /api/softmax and the /softmax page and fragment: numbers, the URL state, bad input in both languages."""

import numpy as np
import pytest

EN = {"accept-language": "en"}
HX = {"hx-request": "true"}


def test_api_lecture_example_matches_numpy(client):
    r = client.post("/api/softmax", json={"logits": [1.9, 1.1, 0.2], "temperature": 1.0})
    assert r.status_code == 200
    body = r.json()
    s = np.array([1.9, 1.1, 0.2])
    assert body["exp"] == pytest.approx(np.exp(s), rel=1e-12)
    assert body["probabilities"] == pytest.approx(np.exp(s) / np.exp(s).sum(), rel=1e-12)
    assert [round(p, 2) for p in body["probabilities"]] == [0.61, 0.28, 0.11]
    assert body["cross_entropy"] is None


def test_api_temperature_and_target(client):
    r = client.post("/api/softmax", json={"logits": [1.9, 1.1, 0.2], "temperature": 2.0, "target": 1})
    body = r.json()
    s = np.array([1.9, 1.1, 0.2]) / 2
    p = np.exp(s) / np.exp(s).sum()
    assert body["probabilities"] == pytest.approx(p, rel=1e-12)
    assert body["one_hot"] == [0, 1, 0] and body["cross_entropy"] == pytest.approx(-np.log(p[1]))


@pytest.mark.parametrize("body, zh, en", [
    ({"logits": [1, "big"]}, "不是數字", "is not a number"),
    ({"logits": [1]}, "至少要有 2 個", "at least 2"),
    ({"logits": [1, 2], "temperature": 0}, "要在 0.1 到 10 之間", "between 0.1 and 10"),
    ({"logits": [1, 2], "target": 2}, "類別編號", "class index"),
    ({"logits": [1, 2e6]}, "太大了", "too large"),
])
def test_api_bad_input_is_422_in_the_learners_language(client, body, zh, en):
    r = client.post("/api/softmax", json=body)
    assert r.status_code == 422 and zh in r.json()["detail"], r.json()
    r = client.post("/api/softmax", json=body, headers=EN)
    assert r.status_code == 422 and en in r.json()["detail"], r.json()


def test_api_nan_is_rejected(client):
    r = client.post("/api/softmax", content=b'{"logits": [NaN, 1]}', headers={"content-type": "application/json"})
    assert r.status_code == 422 and "NaN" in r.json()["detail"]


def test_page_walks_to_the_probabilities(client):
    r = client.get("/softmax")
    assert r.status_code == 200 and "Softmax" in r.text and 'id="softmax-sum"' not in r.text
    r = client.get("/softmax/lab?s=1.9&s=1.1&s=0.2&t=1&target=0&reveal=2&go=next", headers=HX)
    assert r.headers["hx-push-url"] == "/softmax?s=1.9&s=1.1&s=0.2&t=1&target=0&reveal=3"
    assert "0.61" in r.text and "0.28" in r.text and "0.11" in r.text and "<html" not in r.text
    r = client.get("/softmax?s=1.9&s=1.1&s=0.2&reveal=4")
    assert 'id="softmax-loss">0.49<' in r.text  # −log 0.613


def test_fragment_add_remove_and_no_javascript(client):
    r = client.get("/softmax/lab?s=1&s=2&go=add", headers=HX)
    assert "s=1&s=2&s=0" in r.headers["hx-push-url"] and 'id="s3"' in r.text
    r = client.get("/softmax?s=1&s=2&go=all", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("reveal=4")


def test_bad_input_inline_and_as_fragment(client):
    r = client.get("/softmax/lab?s=1&s=abc", headers=HX)
    assert r.status_code == 422 and "不是數字" in r.text and "<html" not in r.text
    r = client.get("/softmax?s=1&s=abc&t=99")
    assert r.status_code == 422 and 'id="softmax-form"' in r.text and "溫度 T" in r.text
