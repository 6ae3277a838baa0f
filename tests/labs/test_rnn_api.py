"""POST /api/rnn/step and the /rnn page and fragment: numbers, URL state, bad input in both languages."""

import numpy as np
import pytest

BODY = {"inputs": [[1, 0], [0, 1], [1, 1]], "w_x": [[1, 0.5], [-1, 1]], "w_h": [[0.5, -1], [1, 0.5]],
        "b": [0.1, -0.2], "h0": [0, 0], "activation": "tanh"}
EN = {"accept-language": "en"}
HX = {"hx-request": "true"}
PHI = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0)}


def numpy_recurrence(inputs, w_x, w_h, b, h0, activation):
    """The issue's definition, written independently: hₜ = φ(W_x xₜ + W_h hₜ₋₁ + b), W[j][i] = i → j."""
    w_x, w_h, b, h = np.array(w_x, float), np.array(w_h, float), np.array(b, float), np.array(h0, float)
    out = []
    for x in np.array(inputs, float):
        h = PHI[activation](w_x @ x + w_h @ h + b)
        out.append(h)
    return np.array(out)


@pytest.mark.parametrize("activation", list(PHI))
def test_api_matches_an_independent_numpy_recurrence(client, activation):
    r = client.post("/api/rnn/step", json={**BODY, "activation": activation})
    assert r.status_code == 200
    hidden = r.json()["hidden"]
    assert len(hidden) == 3 and all(len(row) == 2 for row in hidden)  # one row per time step
    np.testing.assert_allclose(hidden, numpy_recurrence(**{**BODY, "activation": activation}), rtol=0, atol=1e-12)


def test_api_other_sizes_long_sequences_and_default_h0(client):
    rng = np.random.default_rng(0)
    body = {"inputs": rng.normal(size=(150, 3)).tolist(), "w_x": rng.normal(size=(4, 3)).tolist(),
            "w_h": (0.5 * rng.normal(size=(4, 4))).tolist(), "b": rng.normal(size=4).tolist()}
    r = client.post("/api/rnn/step", json=body)
    assert r.status_code == 200
    expected = numpy_recurrence(**body, h0=[0, 0, 0, 0], activation="tanh")
    np.testing.assert_allclose(r.json()["hidden"], expected, atol=1e-12)
    np.testing.assert_allclose(r.json()["pre_activation"][0], np.array(body["w_x"]) @ body["inputs"][0] + body["b"], atol=1e-12)


@pytest.mark.parametrize("change, zh, en", [
    ({"inputs": [[1, 0]] * 1000}, "最多只能有 200 個", "at most 200"),
    ({"w_x": [[1, 0.5, 2], [-1, 1, 2]]}, "每列 2 個數字", "rows (one per neuron) of 2"),
    ({"w_h": [[0.5, -1]]}, "要是 2×2", "must be 2×2"),
    ({"b": [1]}, "每個神經元一個", "one per neuron"),
    ({"h0": [0, 0, 0]}, "每個神經元一個", "one per neuron"),
    ({"inputs": [[1, 0], [1]]}, "輸入個數要一樣", "same number of inputs"),
    ({"activation": "gelu"}, "其中之一", "must be one of"),
    ({"inputs": []}, "至少要有 1 個", "at least 1"),
    ({"b": [1e6, 0]}, "太大了", "too large"),
])
def test_api_bad_input_is_422_in_the_learners_language(client, change, zh, en):
    r = client.post("/api/rnn/step", json={**BODY, **change})
    assert r.status_code == 422 and zh in r.json()["detail"], r.json()
    r = client.post("/api/rnn/step", json={**BODY, **change}, headers=EN)
    assert r.status_code == 422 and en in r.json()["detail"], r.json()


def test_api_nan_weights_are_422(client):
    r = client.post("/api/rnn/step", content=b'{"inputs": [[1, 0]], "w_x": [[NaN, 1], [1, 1]], "w_h": [[0, 0], [0, 0]], "b": [0, Infinity]}',
                    headers={"content-type": "application/json", **EN})
    assert r.status_code == 422
    assert "finite" in r.json()["detail"] and "weights w_x" in r.json()["detail"]


def test_api_is_documented(client):
    assert "/api/rnn/step" in client.get("/openapi.json").json()["paths"]


# --- the page ------------------------------------------------------------------------------------

Q = "x1=1&x1=0&x1=1&x2=0&x2=1&x2=1&wx=1&wx=0.5&wx=-1&wx=1&wh=0.5&wh=-1&wh=1&wh=0.5&b=0&b=0&h0=0&h0=0&activation=tanh"


def test_page_walks_one_time_step_in_four_stages(client):
    r = client.get("/rnn")
    assert r.status_code == 200 and "有記憶的 RNN" in r.text
    assert 'id="h1-1"' not in r.text  # nothing revealed yet
    r = client.get(f"/rnn?{Q}&reveal=4")  # t = 1 finished: h¹₁ = tanh(1·1 + 0.5·0) = 0.762
    assert 'id="h1-1">0.762<' in r.text and 'id="h2-1">−0.762<' in r.text
    r = client.get(f"/rnn?{Q}&reveal=6")  # t = 2, stage 2: the memory terms 0.5·0.762 + (−1)·(−0.762)
    assert "0.5×0.762 + (−1)×(−0.762) = <strong class=\"walk-value\">1.142<" in r.text


def test_fragment_next_pushes_the_url_and_reverse_changes_the_final_state(client):
    r = client.get(f"/rnn/lab?{Q}&reveal=3&go=next", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text
    assert r.headers["hx-push-url"] == f"/rnn?{Q}&reveal=4"
    given = client.post("/api/rnn/step", json={**BODY, "b": [0, 0]}).json()["hidden"][-1]
    r = client.get(f"/rnn/lab?{Q}&reveal=12&go=reverse", headers=HX)
    assert "x1=1&x1=0&x1=1&x2=1&x2=1&x2=0" in r.headers["hx-push-url"]
    reversed_ = client.post("/api/rnn/step", json={**BODY, "b": [0, 0], "inputs": BODY["inputs"][::-1]}).json()["hidden"][-1]
    assert max(abs(a - b) for a, b in zip(given, reversed_)) > 0.1  # slides 212–213: order matters
    assert 'id="h1-3">' + f"{reversed_[0]:.3f}".replace("-", "−") + "<" in r.text


def test_fragment_add_and_remove_a_time_step(client):
    r = client.get(f"/rnn/lab?{Q}&reveal=5&go=add", headers=HX)
    assert 'id="x1-4"' in r.text and r.headers["hx-push-url"].endswith("reveal=0")
    r = client.get("/rnn/lab?x1=1&x1=2&x2=0&x2=0&go=remove", headers=HX)
    assert 'id="x1-2"' in r.text  # two is the fewest


def test_page_with_too_many_steps_or_nan_shows_the_error_inline_with_422(client):
    r = client.get("/rnn?" + "&".join(["x1=1"] * 9 + ["x2=1"] * 9), headers=EN)
    assert r.status_code == 422 and "at most 8" in r.text and 'id="rnn-lab"' in r.text
    r = client.get("/rnn?x1=nan&x1=1&x2=0&x2=0")
    assert r.status_code == 422 and "不能是 NaN" in r.text
    r = client.get("/rnn/lab?x1=1&x1=2&x1=3&x2=0&x2=0", headers={**HX, **EN})
    assert r.status_code == 422 and "as many numbers as x¹" in r.text


def test_button_without_javascript_redirects_to_the_canonical_address(client):
    r = client.get(f"/rnn?{Q}&reveal=0&go=all", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("reveal=12")
