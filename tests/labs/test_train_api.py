"""The design page and its API: the layer table and parameter counts (checked against Keras),
the Colab code (run here), the state in the URL, and the form's errors."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

from app.labs.train_form import DesignForm, form_query
from app.ml.design import ConvBlock, TrainDesign, keras_code, layer_table, parameter_count

DESIGNS = [
    TrainDesign(),  # the lecture's DNN: 784 → 100 → 100 → 10
    TrainDesign(hidden_layers=[5, 7, 9, 11, 13], activation="tanh"),
    TrainDesign(architecture="cnn"),  # the lecture's CNN
    TrainDesign(architecture="cnn", conv_blocks=[ConvBlock(filters=6, kernel_size=5, padding="valid", pool=2),
                                                 ConvBlock(filters=10, kernel_size=3, padding="valid", pool=3)],
                dense_layers=[]),
    TrainDesign(architecture="cnn", conv_blocks=[ConvBlock(filters=4, kernel_size=7, pool=0)], dense_layers=[20, 10]),
]


@pytest.mark.parametrize("design", DESIGNS, ids=lambda d: f"{d.architecture}-{parameter_count(d)}")
def test_layer_table_matches_keras(design):
    """Shapes and parameter counts by formula (the web never loads Keras) = what Keras builds."""
    from app.ml.training import build_model

    model = build_model(design)
    table = layer_table(design)
    assert parameter_count(design) == model.count_params()
    keras_layers = [(tuple(layer.output.shape[1:]), layer.count_params()) for layer in model.layers]
    assert [(tuple(r["shape"]), r["params"]) for r in table[1:]] == keras_layers


def test_the_lecture_dnn_has_89610_parameters():
    assert [r["params"] for r in layer_table(TrainDesign())] == [0, 0, 78_500, 10_100, 1_010]


def test_the_colab_code_runs_and_builds_the_same_network(shared, tmp_path, monkeypatch):
    """The code shown on the page, run as is — only the download replaced by the local copy."""
    monkeypatch.chdir(tmp_path)  # the code saves my_mnist_model.keras where it runs
    design = TrainDesign(hidden_layers=[12], epochs=1, train_subset=500)
    code = keras_code(design)
    assert "import tensorflow" not in code and "tf." not in code
    assert "keras.datasets.mnist.load_data()" in code
    local = f"(lambda d: ((d['x_train'], d['y_train']), (d['x_test'][:500], d['y_test'][:500])))(__import__('numpy').load({str(shared / 'datasets/mnist.npz')!r}))"
    namespace: dict = {}
    exec(compile(code.replace("keras.datasets.mnist.load_data()", local), "colab", "exec"), namespace)
    assert namespace["model"].count_params() == parameter_count(design)
    assert len(namespace["history"].history["loss"]) == 1 and 0 <= namespace["accuracy"] <= 1


def test_preview_api(client):
    r = client.post("/api/train/preview", json={"architecture": "cnn"})
    assert r.status_code == 200
    body = r.json()
    assert body["parameters"] == parameter_count(TrainDesign(architecture="cnn"))
    assert body["layers"][1]["shape"] == [None, 28, 28, 16] and "layers.Conv2D(16" in body["code"]


def test_design_page_shows_the_table_the_guess_and_the_code_in_chinese(client):
    r = client.get("/train")
    assert r.status_code == 200 and '<html lang="zh-TW"' in r.text
    assert "89,610" in r.text and "先猜猜看" in r.text and "keras.Sequential" in r.text
    assert 'id="train-button"' in r.text


def test_the_state_round_trips_through_the_url(client):
    design = TrainDesign(architecture="cnn", conv_blocks=[ConvBlock(filters=8, kernel_size=5, padding="valid", pool=2)],
                         dense_layers=[32, 16], activation="tanh", loss="categorical_crossentropy",
                         optimizer="adam", learning_rate=0.002, batch_size=64, epochs=7)
    query = form_query(design)
    from urllib.parse import parse_qs

    parsed = {k: v if k in ("neurons", "filters", "kernel", "padding", "pool", "dense") else v[0]
              for k, v in parse_qs(query).items()}
    assert DesignForm(**parsed).to_design() == design
    r = client.get(f"/train/design?{query}", headers={"hx-request": "true"})
    assert r.status_code == 200 and r.headers["hx-push-url"] == f"/train?{query}"
    assert 'value="8"' in r.text and 'layers.Conv2D(8, kernel_size=5, padding="valid"' in html.unescape(r.text)
    # more layers in the count than values given: filled in, not an error
    r = client.get("/train/design?architecture=dnn&layers=3&neurons=50")
    assert r.text.count('name="neurons" type="number"') == 3


def test_the_seed_reaches_the_url_and_the_form(client):
    design = TrainDesign(seed=7)
    query = form_query(design)
    assert "seed=7" in query and "seed" not in form_query(TrainDesign())  # the default keeps links short
    r = client.get(f"/train/design?{query}", headers={"hx-request": "true"})
    assert r.headers["hx-push-url"] == f"/train?{query}" and 'name="seed" value="7"' in r.text
    assert DesignForm(seed=7).to_design().seed == 7


def test_the_form_rejects_forged_values_and_enqueues_nothing(client, settings):
    from app.jobs.queue import pending_count

    before = pending_count(settings)
    r = client.post("/train/jobs", data={"architecture": "dnn", "layers": "2", "neurons": ["4096", "4096"]},
                    headers={"hx-request": "true"})
    assert r.status_code == 422 and "error-box" in r.text and "5,000,000" in r.text
    r = client.post("/train/jobs", data={"architecture": "cnn", "blocks": "3", "kernel": ["7", "7", "7"],
                                         "padding": ["valid"] * 3, "pool": ["3"] * 3})
    assert r.status_code == 422 and "same" in r.text  # "use same padding…", as a page
    r = client.get("/train?epochs=500&activation=magic")
    assert r.status_code == 422
    assert pending_count(settings) == before
    # a good design from the form goes to its job page
    r = client.post("/train/jobs", data={"architecture": "dnn", "layers": "1", "neurons": "20", "epochs": "1"},
                    follow_redirects=False)
    assert r.status_code == 303 and re.fullmatch(r"/train/jobs/[0-9a-f]{12}", r.headers["location"])
    assert pending_count(settings) == before + 1
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "排在第 1 個" in page.text and 'hx-trigger="every 1s"' in page.text
    assert 'id="no-worker"' in page.text and client.get("/api/workers").json() == []  # nobody to train it (yet)


def test_unknown_job_is_404_in_the_learners_language(client):
    assert client.get("/api/jobs/nope").json()["detail"] == "找不到這個訓練工作。"
    assert client.get("/train/jobs/nope", headers={"accept-language": "en"}).status_code == 404


def test_mnist_digit_images(client):
    png = client.get("/train/digit/9999.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert client.get("/train/digit/10000.png").status_code == 404
    assert np.frombuffer(png.content[:8], np.uint8).tolist() == [137, 80, 78, 71, 13, 10, 26, 10]


def test_the_too_big_message_does_not_give_away_the_total(client):
    r = client.get("/train?architecture=dnn&layers=2&neurons=4000&neurons=4000")
    assert r.status_code == 200 and 'id="too-big"' in r.text
    message = r.text[r.text.index('id="too-big"'):].split("</p>")[0]
    total = re.search(r'id="total-params">([\d,]+)<', r.text).group(1)
    assert total not in message and "5,000,000" in message, message
    assert re.search(r'id="train-button"[^>]*disabled', r.text)
