"""/rnn/memory: the sensitivity chart equals finite differences through the real Keras layers for
the page's own weights; the memory-task job is validated, enqueued and shown; bad input is 422."""

import numpy as np
import pytest

from app.labs.rnn.memory import MemoryState
from app.nn.rnn import CELLS, initial_weights

keras = pytest.importorskip("keras")
EN = {"accept-language": "en"}
LAYERS = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def keras_sensitivity(cell, weights, xs, activation, eps=1e-5):
    """‖∂h_T/∂xₜ‖ by central differences through a float64 Keras layer's forward pass (no GradientTape)."""
    kw = {"activation": activation} if cell == "simple_rnn" else {}
    layer = LAYERS[cell](weights[1].shape[0], dtype="float64", **kw)
    layer.build((None, None, xs.shape[1]))
    layer.set_weights(weights)
    T, n = xs.shape
    d = np.eye(T * n).reshape(T * n, T, n) * eps
    plus = keras.ops.convert_to_numpy(layer(xs[None] + d))
    minus = keras.ops.convert_to_numpy(layer(xs[None] - d))
    jac = ((plus - minus) / (2 * eps)).reshape(T, n, -1)
    return np.sqrt((jac ** 2).sum(axis=(1, 2)))


@pytest.mark.parametrize("activation,scale", [("tanh", 0.8), ("relu", 1.5), ("sigmoid", 2.0)])
def test_chart_numbers_equal_keras_layers_with_the_same_weights(client, activation, scale):
    body = {"activation": activation, "scale": scale, "gate_bias": 2, "steps": 12, "units": 4, "seed": 3}
    r = client.post("/api/rnn/sensitivity", json=body)
    assert r.status_code == 200
    norms = r.json()["norms"]
    state = MemoryState(**body)
    xs = np.random.default_rng(state.seed).normal(size=(state.steps, 2))  # the page's inputs
    for cell in CELLS:
        w = initial_weights(cell, 2, 4, np.random.default_rng([state.seed, CELLS.index(cell)]), scale, 2)
        expected = keras_sensitivity(cell, w, xs, activation if cell == "simple_rnn" else "tanh")
        got = np.array(norms[cell])
        big = expected > 1e-4
        assert big.sum() >= 3
        np.testing.assert_allclose(got[big], expected[big], rtol=1e-6)  # checks: same derivative as Keras


def test_simple_rnn_forgets_while_a_gated_lstm_remembers(client):
    norms = client.post("/api/rnn/sensitivity", json={"scale": 0.8, "gate_bias": 3, "steps": 40}).json()["norms"]
    simple, lstm = np.array(norms["simple_rnn"]), np.array(norms["lstm"])
    assert simple[0] / simple[-1] < 1e-5  # vanished over 40 steps
    assert lstm[0] / lstm[-1] > 0.1  # the forget gate keeps step 1 in play


@pytest.mark.parametrize("body, en", [({"steps": 1000}, "at most 100"), ({"scale": 9}, "at most 4"),
                                      ({"activation": "gelu"}, "must be one of")])
def test_sensitivity_bad_input_is_422(client, body, en):
    r = client.post("/api/rnn/sensitivity", json=body, headers=EN)
    assert r.status_code == 422 and en in r.json()["detail"]


def test_page_and_chart_fragment(client):
    r = client.get("/rnn/memory")
    assert r.status_code == 200 and 'id="memory-chart"' in r.text and r.text.count("<polyline") == 3
    r = client.get("/rnn/memory/chart?scale=2&steps=20", headers={"hx-request": "true"})
    assert r.headers["hx-push-url"].startswith("/rnn/memory?activation=tanh&scale=2&")
    assert client.get("/rnn/memory?steps=500").status_code == 422


def test_memory_job_is_enqueued_and_shown(client):
    r = client.post("/api/rnn/memory/jobs", json={"lengths": [3], "cells": ["simple_rnn", "lstm"], "epochs": 1})
    assert r.status_code == 200
    job = client.get(f"/api/jobs/{r.json()['id']}").json()
    assert job["kind"] == "rnn_memory" and job["status"] == "queued" and job["params"]["lengths"] == [3]
    page = client.get(f"/rnn/memory/jobs/{job['id']}")
    assert page.status_code == 200 and 'hx-trigger="every 2s"' in page.text and 'data-n="3"' in page.text
    assert client.get("/rnn/memory/jobs/nope").status_code == 404


def test_memory_job_bad_input_is_422_and_nothing_enqueued(client):
    r = client.post("/api/rnn/memory/jobs", json={"lengths": [1000]}, headers=EN)
    assert r.status_code == 422 and "at most 60" in r.json()["detail"]
    r = client.post("/api/rnn/memory/jobs", json={"cells": ["transformer"]})
    assert r.status_code == 422
    assert client.get("/api/jobs").json() == []
