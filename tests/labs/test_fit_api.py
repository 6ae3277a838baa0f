"""POST /api/fit (one hidden layer trained on the server with app/nn/mlp.py) and the /fit page:
16 ReLU neurons fit sin, 1 cannot; bad input is a 422 in the learner's language."""

import math

import numpy as np
import pytest

EN = {"accept-language": "en"}
HX = {"hx-request": "true"}
SIN16 = {"target": "sin", "hidden": 16, "activation": "relu", "learning_rate": 0.05, "steps": 2000, "seed": 0}


def test_sixteen_relu_neurons_fit_sin_and_one_cannot(client):
    r = client.post("/api/fit", json=SIN16)
    assert r.status_code == 200
    body = r.json()
    assert body["mse"] < 0.01  # the acceptance figure
    assert len(body["pieces"]) == 16 and body["losses"][-1] < body["losses"][0] / 20
    xs = np.array([p[0] for p in body["curve"]])
    assert xs[0] == pytest.approx(-math.pi) and xs[-1] == pytest.approx(math.pi)
    # the curve is the sum of the pieces plus the output bias: ŷ = Σ vⱼ·φ(wⱼx + bⱼ) + c
    total = np.sum([[p[1] for p in piece] for piece in body["pieces"]], axis=0) + body["bias"]
    assert np.allclose(total, [p[1] for p in body["curve"]], atol=1e-12)
    assert np.max(np.abs(np.array([p[1] for p in body["curve"]]) - np.sin(xs))) < 0.25
    one = client.post("/api/fit", json={**SIN16, "hidden": 1}).json()
    assert one["mse"] > 10 * body["mse"] and one["mse"] > 0.05  # clearly worse with one neuron


def test_a_drawn_target_and_the_same_seed_gives_the_same_answer(client):
    points = [[x, abs(x) - 1] for x in np.linspace(-2, 2, 21).tolist()]
    body = {"target": points, "hidden": 6, "activation": "tanh", "learning_rate": 0.1, "steps": 300, "seed": 3}
    a, b = client.post("/api/fit", json=body).json(), client.post("/api/fit", json=body).json()
    assert a == b and a["mse"] < 0.2
    assert a["curve"][0][0] == pytest.approx(-2) and a["curve"][-1][0] == pytest.approx(2)


@pytest.mark.parametrize("body, zh, en", [
    ({"hidden": 1000}, "不能大於 50", "at most 50"),
    ({"steps": 10**7}, "不能大於 10000", "at most 10000"),
    ({"target": []}, "沒有畫到東西", "is empty"),
    ({"target": [[0.5, 1], [0.5, 2]]}, "沒有畫到東西", "is empty"),
    ({"target": [[0, 1], [1, "high"]]}, "兩個數字", "two numbers"),
    ({"target": "cos"}, "其中之一", "must be one of"),
    ({"target": [[0, 1], [1, 1e6]]}, "太大了", "too large"),
    ({"activation": "swish"}, "其中之一", "must be one of"),
    ({"learning_rate": 0}, "要大於 0", "greater than 0"),
])
def test_bad_input_is_422_in_the_learners_language(client, body, zh, en):
    r = client.post("/api/fit", json={**SIN16, "steps": 10, **body})
    assert r.status_code == 422 and zh in r.json()["detail"], r.json()
    r = client.post("/api/fit", json={**SIN16, "steps": 10, **body}, headers=EN)
    assert r.status_code == 422 and en in r.json()["detail"], r.json()


def test_nan_is_422(client):
    for raw in (b'{"target": [[0, NaN], [1, 2]]}', b'{"learning_rate": NaN}'):
        r = client.post("/api/fit", content=raw, headers={"content-type": "application/json", **EN})
        assert r.status_code == 422 and "NaN" in r.json()["detail"]


def test_page_carries_the_data_and_the_state(client):
    r = client.get("/fit?target=bump&hidden=5&activation=tanh&lr=0.1&seed=4")
    assert r.status_code == 200 and 'data-hidden="5"' in r.text and 'data-activation="tanh"' in r.text
    assert 'id="target-bump" checked' in r.text
    r = client.get("/fit/lab?target=drawn&draw=" + ",".join(["0.5"] * 41) + "&hidden=3", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and 'id="target-drawn" checked' in r.text
    assert r.headers["hx-push-url"].startswith("/fit?target=drawn&hidden=3&activation=relu&lr=0.05&seed=0&draw=0.5")


def test_bad_page_state_is_shown_inline(client):
    r = client.get("/fit?hidden=1000")
    assert r.status_code == 422 and 'id="fit-root"' in r.text and "不能大於 50" in r.text
    r = client.get("/fit?target=drawn&draw=1,2")
    assert r.status_code == 422 and "沒有畫到東西" in r.text and 'id="fit-root"' in r.text
    r = client.get("/fit/lab?hidden=0", headers=HX)
    assert r.status_code == 422 and "<html" not in r.text
