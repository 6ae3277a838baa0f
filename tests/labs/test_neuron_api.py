"""POST /api/neuron and the /neuron page and fragment: numbers, the URL state, bad input in both languages."""

import pytest

PRESET = {"x": [1, 3], "w": [1, 2], "b": 1, "activation": "relu"}
EN = {"accept-language": "en"}
HX = {"hx-request": "true"}


def test_api_lecture_example(client):
    r = client.post("/api/neuron", json=PRESET)
    assert r.status_code == 200
    body = r.json()
    assert body["products"] == [1, 6]  # w₁x₁, w₂x₂
    assert body["sum"] == 7
    assert body["pre_activation"] == 8  # 7 + b
    assert body["output"] == 8  # ReLU(8)


def test_api_three_inputs_and_each_activation(client):
    for activation in ("relu", "sigmoid", "tanh", "gaussian", "linear"):
        r = client.post("/api/neuron", json={"x": [1, -1, 2], "w": [0.5, 1, -1], "b": 0.25, "activation": activation})
        assert r.status_code == 200, activation
        assert r.json()["pre_activation"] == pytest.approx(0.5 - 1 - 2 + 0.25)


@pytest.mark.parametrize("body, zh, en", [
    ({**PRESET, "x": [1, "three"]}, "不是數字", "is not a number"),
    ({**PRESET, "w": [1, 2, 3]}, "的個數要和輸入 x 一樣", "as many numbers as x"),
    ({**PRESET, "b": 1e9}, "太大了", "too large"),
    ({**PRESET, "activation": "swish"}, "其中之一", "must be one of"),
    ({**PRESET, "x": [1]}, "至少要有 2 個", "at least 2"),
    ({**PRESET, "x": [1, 2, 3, 4], "w": [1, 2, 3, 4]}, "最多只能有 3 個", "at most 3"),
])
def test_api_bad_input_is_422_in_the_learners_language(client, body, zh, en):
    r = client.post("/api/neuron", json=body)
    assert r.status_code == 422 and zh in r.json()["detail"]
    r = client.post("/api/neuron", json=body, headers=EN)
    assert r.status_code == 422 and en in r.json()["detail"]


def test_api_nan_and_infinity_are_rejected(client):
    r = client.post("/api/neuron", content=b'{"x": [NaN, 3], "w": [1, Infinity], "b": 1}',
                    headers={"content-type": "application/json", **EN})
    assert r.status_code == 422
    assert "finite" in r.json()["detail"] and "input x₁" in r.json()["detail"]


def test_api_is_documented(client):
    spec = client.get("/openapi.json").json()
    assert "/api/neuron" in spec["paths"]


def test_page_shows_the_preset_and_stepping_reaches_8(client):
    r = client.get("/neuron")
    assert r.status_code == 200 and "一個神經元" in r.text
    assert 'id="neuron-output"' not in r.text  # nothing revealed yet
    r = client.get("/neuron?x=1&x=3&w=1&w=2&b=1&activation=relu&reveal=5")
    assert 'id="neuron-output">8<' in r.text


def test_fragment_next_advances_and_pushes_the_url(client):
    r = client.get("/neuron/lab?x=1&x=3&w=1&w=2&b=1&activation=relu&reveal=4&go=next", headers=HX)
    assert r.status_code == 200
    assert r.headers["hx-push-url"] == "/neuron?x=1&x=3&w=1&w=2&b=1&activation=relu&reveal=5"
    assert 'id="neuron-output">8<' in r.text and "<html" not in r.text  # a fragment, not a page


def test_fragment_add_and_remove_an_input(client):
    r = client.get("/neuron/lab?x=1&x=3&w=1&w=2&b=1&go=add", headers=HX)
    assert "x=1&x=3&x=1&w=1&w=2&w=1" in r.headers["hx-push-url"] and 'id="x3"' in r.text
    r = client.get("/neuron/lab?x=1&x=3&x=1&w=1&w=2&w=1&b=1&go=remove", headers=HX)
    assert 'id="x3"' not in r.text


def test_button_without_javascript_redirects_to_the_canonical_address(client):
    r = client.get("/neuron?reveal=0&go=all", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("reveal=5")


def test_fragment_bad_input_is_an_error_fragment(client):
    r = client.get("/neuron/lab?x=1&x=abc&w=1&w=2&b=1", headers=HX)
    assert r.status_code == 422 and 'class="error-box"' in r.text and "不是數字" in r.text
    assert "<html" not in r.text


def test_evaluations_are_published(client):
    seen = []
    client.app.state.result_listeners.append(lambda request, lab, payload: seen.append((lab, payload)))
    client.post("/api/neuron", json=PRESET)
    assert seen and seen[-1][0] == "neuron" and seen[-1][1]["output"] == 8


def test_a_bad_address_opens_the_lab_with_the_error_inline(client):
    r = client.get("/neuron?x=1&x=abc&w=1&w=2&b=1")
    assert r.status_code == 422
    assert 'id="neuron-form"' in r.text  # the lab is there, with the lecture's example…
    assert 'class="error-box"' in r.text and "「輸入 x₂」不是數字" in r.text  # …and what was wrong


@pytest.mark.parametrize("url, zh, en", [
    ("/neuron/lab?x=abc&x=3", "「輸入 x₁」不是數字", "“input x₁” is not a number"),
    ("/neuron/lab?x=1&x=3&w=1&w=5000", "「權重 w₂」太大了", "“weight w₂” is too large"),
    ("/softmax/lab?s=1&s=oops", "「分數 s₂」", "“score s₂”"),
    ("/rnn/lab?x1=abc", "「輸入 x¹（第 1 個）」", "“inputs x¹ no. 1”"),
])
def test_list_fields_are_named_as_the_page_labels_them(client, url, zh, en):
    """x[0] is the box labelled x₁ (the shared validation message, app/web.py)."""
    r = client.get(url)
    assert r.status_code == 422 and zh in r.text and "[0]" not in r.text, r.text[-600:]
    r = client.get(url, headers=EN)
    assert en in r.text, r.text[-600:]


def test_limits_read_like_a_person_wrote_them(client):
    """「要大於 0.0」 was pydantic's message translated: now 「要大於 0」, the number without .0."""
    r = client.post("/api/fit", json={"learning_rate": 0})
    assert r.status_code == 422 and "「學習率」要大於 0" in r.json()["detail"] and "0.0" not in r.json()["detail"]
    r = client.post("/api/fit", json={"learning_rate": 0}, headers=EN)
    assert "must be greater than 0" in r.json()["detail"] and "0.0" not in r.json()["detail"]


def test_a_limit_says_what_to_do_and_english_joins_with_a_semicolon(client):
    """Each problem ends with what to type instead; two problems in English are joined by "; ",
    not the Chinese full-width 「；」."""
    r = client.post("/api/fit", json={"learning_rate": 0, "hidden": 1000})
    assert "請填一個比 0 大的數" in r.json()["detail"] and "請填 50 或更小的數" in r.json()["detail"]
    r = client.post("/api/fit", json={"learning_rate": 0, "hidden": 1000}, headers=EN)
    detail = r.json()["detail"]
    assert "type a number above 0" in detail and "type 50 or less" in detail
    assert "；" not in detail and "; " in detail
