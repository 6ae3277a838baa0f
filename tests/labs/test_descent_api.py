"""POST /api/descent and the /descent pages: paths, verdicts, URL state, bad input."""

import pytest

EN = {"accept-language": "en"}
HX = {"hx-request": "true"}


def test_api_lecture_loss_path(client):
    r = client.post("/api/descent", json={"loss": "lecture", "w0": 1, "eta": 0.1, "steps": 2})
    assert r.status_code == 200
    body = r.json()
    # L = 4w², L′ = 8w: w 1 → 0.2 → 0.04
    assert [p["w"] for p in body["path"]] == pytest.approx([1, 0.2, 0.04])
    assert [p["L"] for p in body["path"]] == pytest.approx([4, 0.16, 0.0064])
    assert [p["dL"] for p in body["path"]] == pytest.approx([8, 1.6, 0.32])
    assert body["steps"] == 2


@pytest.mark.parametrize("body, verdict", [
    ({"loss": "lecture", "w0": 1, "eta": 0.05, "steps": 100}, "converged"),
    ({"loss": "lecture", "w0": 1, "eta": 0.2, "steps": 10}, "oscillating"),
    ({"loss": "lecture", "w0": 1, "eta": 0.3, "steps": 10}, "diverged"),
    ({"loss": "quadratic", "w0": -2, "eta": 1.1, "steps": 10}, "diverged"),
    ({"loss": "two_minima", "w0": 1.8, "eta": 0.1, "steps": 200}, "stuck_in_local_minimum"),
    ({"loss": "two_minima", "w0": 2, "eta": 5, "steps": 1000}, "diverged"),
])
def test_api_verdicts(client, body, verdict):
    r = client.post("/api/descent", json=body)
    assert r.status_code == 200 and r.json()["verdict"] == verdict


@pytest.mark.parametrize("body, zh, en", [
    ({"eta": 0}, "要大於 0", "greater than 0"),
    ({"eta": -0.1}, "要大於 0", "greater than 0"),
    ({"eta": 1e6}, "太大了", "too large"),
    ({"steps": 1001}, "不能大於 1000", "at most 1000"),
    ({"steps": 2.5}, "要是整數", "whole number"),
    ({"w0": "one"}, "不是數字", "is not a number"),
    ({"w0": 1e300}, "太大了", "too large"),
    ({"loss": "cubic"}, "其中之一", "must be one of"),
])
def test_api_bad_input_is_422_in_the_learners_language(client, body, zh, en):
    body = {"loss": "lecture", "w0": 1, "eta": 0.1, "steps": 5, **body}
    r = client.post("/api/descent", json=body)
    assert r.status_code == 422 and zh in r.json()["detail"]
    r = client.post("/api/descent", json=body, headers=EN)
    assert r.status_code == 422 and en in r.json()["detail"]


def test_api_nan_is_rejected(client):
    r = client.post("/api/descent", content=b'{"loss": "lecture", "w0": NaN, "eta": 0.1, "steps": 5}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 422 and "NaN" in r.json()["detail"]


def test_runs_are_published(client):
    seen = []
    client.app.state.result_listeners.append(lambda request, lab, payload: seen.append((lab, payload)))
    client.post("/api/descent", json={"loss": "lecture", "w0": 1, "eta": 0.3, "steps": 10})
    assert seen == [("descent", {"eta": 0.3, "loss": "lecture", "verdict": "diverged", "w0": 1.0})]


def test_page_and_fragment(client):
    r = client.get("/descent?loss=lecture&w0=1&eta=0.3&steps=6")
    assert r.status_code == 200 and 'data-verdict="diverged"' in r.text and "<svg" in r.text
    r = client.get("/descent/lab?loss=lecture&w0=1&eta=0.05&steps=0&n=10&go=run", headers=HX)
    assert r.headers["hx-push-url"] == "/descent?loss=lecture&w0=1&eta=0.05&steps=10&n=10"
    assert "<html" not in r.text


def test_choosing_a_loss_takes_its_defaults(client):
    r = client.get("/descent/lab?loss=two_minima", headers=HX)
    assert "w0=1.8&eta=0.1&steps=0" in r.headers["hx-push-url"]


def test_run_is_capped_at_1000_steps(client):
    r = client.get("/descent/lab?loss=lecture&w0=1&eta=0.05&steps=995&n=10&go=run", headers=HX)
    assert "steps=1000" in r.headers["hx-push-url"]


def test_fragment_bad_eta_is_an_error_fragment(client):
    r = client.get("/descent/lab?loss=lecture&w0=1&eta=0&steps=0", headers={**HX, **EN})
    assert r.status_code == 422 and 'class="error-box"' in r.text and "learning rate η" in r.text


def test_three_variables_at_the_lecture_point(client):
    r = client.get("/descent/three?reveal=5")
    assert r.status_code == 200
    text = r.text
    assert "L(w₁) = (2w₁)² = 4w₁²" in text  # holding w₂, b₁ fixed gives the one-parameter lecture loss
    assert "(8, −4, 4)" in text  # the gradient
    assert "(0.2, −0.6, 1.6)" in text  # one step with η = 0.1
    r = client.get("/descent/three/lab?w1=1&w2=-1&b1=2&eta=0.1&reveal=5&go=continue", headers=HX)
    assert r.headers["hx-push-url"] == "/descent/three?w1=0.2&w2=-0.6&b1=1.6&eta=0.1&reveal=0"


def test_a_bad_address_opens_the_lab_with_the_error_inline(client):
    r = client.get("/descent?eta=-1", headers=EN)
    assert r.status_code == 422 and 'id="descent-form"' in r.text and "learning rate η" in r.text
    r = client.get("/descent/three?w1=1e9")
    assert r.status_code == 422 and 'id="three-form"' in r.text and "太大了" in r.text


def test_a_run_that_ran_off_counts_the_steps_it_took(client):
    # w ← w − 5·L′(w) from 2 leaves every range after 3 steps: the address says 3, and "back" gives 2
    r = client.get("/descent/lab?loss=two_minima&w0=2&eta=5&steps=100", headers=HX)
    assert "steps=3&" in r.headers["hx-push-url"] and 'id="descent-step" data-key="next" class="primary" disabled' in r.text
    r = client.get("/descent/lab?loss=two_minima&w0=2&eta=5&steps=100&go=back", headers=HX)
    assert "steps=2&" in r.headers["hx-push-url"]


def test_every_verdict_loss_and_activation_has_words_in_both_languages():
    from app.i18n import catalogue
    from app.labs.descent import EXAMPLES
    from app.nn.activations import ACTIVATIONS
    from app.nn.descent import VERDICTS
    from app.nn.losses import LOSSES

    keys = [f"descent.verdict.{v}" for v in VERDICTS] + [f"descent.explain.{v}" for v in VERDICTS]
    keys += [f"descent.loss.{name}" for name in LOSSES] + [f"neuron.act.{name}" for name in ACTIVATIONS]
    keys += [f"descent.short.{what}" for examples in EXAMPLES.values() for *_, what in examples]
    missing = [k for k in keys if set(catalogue().get(k, {})) != {"zh-TW", "en"}]
    assert missing == []
