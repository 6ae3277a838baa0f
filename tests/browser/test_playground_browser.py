"""/playground in Chromium: the spiral learned with the suggested network within a minute by touch
at 390 px (steps/s printed), CSV upload good and bad, tapped points in the URL, the Keras export
run by Keras itself, projector and both languages, screenshots."""

import json
import re
import subprocess
import sys
import time

import numpy as np
import pytest
from playwright.sync_api import expect

from app.nn.mlp import MLP
from tests.browser.test_neuron_browser import english_words
from tests.conftest import new_context, no_sideways_scroll, opened, screenshot

pytestmark = pytest.mark.browser


def losses(page):
    train = page.locator("#pg-train-loss").get_attribute("data-train-loss")
    test = page.locator("#pg-test-loss").get_attribute("data-test-loss")
    return float(train or "nan"), float(test or "nan")


def test_spiral_with_the_suggested_network_within_a_minute_at_390_px(phone_page, live_server):
    page = phone_page
    page.goto(live_server.url + "/playground")
    page.locator("label:has(#ds-spiral)").tap()
    page.locator("#pg-suggest").tap()
    assert "features=x1,x2,sin1,sin2" in page.url and "layers=8,8,6" in page.url and "dataset=spiral" in page.url
    start = time.monotonic()
    page.locator("#pg-play").tap()
    page.wait_for_function("+document.getElementById('pg-test-loss').dataset.testLoss < 0.15", timeout=60000, polling=200)
    seconds = time.monotonic() - start
    before, t0 = page.evaluate("playgroundLab.trainer.steps"), time.monotonic()
    page.wait_for_timeout(5000)  # five more seconds of play, to measure the speed on the wall clock
    steps, rate = page.evaluate("[playgroundLab.trainer.steps, playgroundLab.stepsPerSecond]")
    wall = (steps - before) / (time.monotonic() - t0)
    page.locator("#pg-play").tap()
    print(f"playground spiral: test loss < 0.15 after {seconds:.1f} s of play; {wall:.0f} steps/s on the wall clock "
          f"(page's own estimate {rate:.0f}; batch 10, network 4-8-8-6-1, picture every frame) at 390 px; "
          f"{steps} steps; train/test loss {losses(page)}")
    assert seconds < 60
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    for sel in ("#pg-play", "#pg-suggest", "#pg-add-layer", "#feature-x1", "label:has(#ds-xor) span"):
        assert page.locator(sel).bounding_box()["height"] >= 44, sel
    screenshot(page, "playground-spiral-390")


def test_network_edits_round_trip_through_the_url(page, live_server):
    page.goto(live_server.url + "/playground?seed=5")
    page.locator("#pg-add-layer").click()  # 4,2 → 4,2,4
    page.locator("#feature-x1x2").click()
    page.locator("#act-0").select_option("relu")
    page.locator("#pg-diagram button[data-layer='1'][data-delta='1']").click()  # layer 2: 2 → 3 neurons
    assert "layers=4,3,4" in page.url and "features=x1,x2,x1x2" in page.url and "acts=relu,tanh,tanh" in page.url
    page.reload()
    assert page.evaluate("playgroundLab.net.sizes") == [3, 4, 3, 4, 1]
    assert page.evaluate("playgroundLab.cfg.acts") == ["relu", "tanh", "tanh"] and page.evaluate("playgroundLab.cfg.seed") == 5
    first = page.evaluate("JSON.stringify(playgroundLab.train.slice(0, 3))")
    page.reload()
    assert page.evaluate("JSON.stringify(playgroundLab.train.slice(0, 3))") == first  # the seed gives the same data
    page.locator("#pg-remove-layer").click()
    assert "layers=4,3&" in page.url
    assert english_words(page.locator("body").inner_text()) <= {"XOR", "CSV", "label", "tanh", "ReLU", "Keras", "sin"}


def test_tap_points_and_upload_a_csv(phone_page, live_server, tmp_path):
    page = phone_page
    page.goto(live_server.url + "/playground?dataset=mine")
    canvas = page.locator("#pg-boundary")
    for fx, fy, colour in [(0.2, 0.2, "1"), (0.3, 0.25, "1"), (0.8, 0.8, "0"), (0.75, 0.7, "0")]:
        page.locator(f"label:has(#tap-{colour})").tap()
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()  # where the picture is now, on screen
        page.touchscreen.tap(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    assert page.evaluate("playgroundLab.train.length + playgroundLab.test.length") == 4
    pts = page.url.split("pts=")[1].split("&")[0].split(";")
    assert len(pts) == 4 and sorted(p.split(",")[2] for p in pts) == ["0", "0", "1", "1"]
    page.reload()
    assert page.evaluate("playgroundLab.train.length + playgroundLab.test.length") == 4  # kept in the address
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n1,2,1\n3,hello,0\n")
    page.locator("#pg-csv").set_input_files(str(bad))
    expect(page.locator("#playground-error .error-box")).to_contain_text("第 2 行的 x2 是「hello」，不是數字")
    good = tmp_path / "good.csv"
    good.write_text("x1,x2,label\n" + "".join(f"{x},{y},{int(x * y > 0)}\n" for x in (-4, -2, 2, 4) for y in (-3, 3)))
    page.locator("#pg-csv").set_input_files(str(good))
    expect(page.locator("#playground-error .error-box")).to_have_count(0)
    assert page.evaluate("playgroundLab.train.length + playgroundLab.test.length") == 8
    expect(page.locator("#pg-csv-note")).to_contain_text("讀進 8 個點")


def test_bad_csv_message_in_english(browser, live_server, tmp_path):
    context = new_context(browser, lang="en")
    context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto(live_server.url + "/playground?dataset=mine")
        bad = tmp_path / "bad.csv"
        bad.write_text("1,2,1\n1,2\n")
        page.locator("#pg-csv").set_input_files(str(bad))
        expect(page.locator("#playground-error .error-box")).to_contain_text("Row 2 of the CSV has 2 columns")
    finally:
        context.close()


def test_the_keras_export_runs_in_keras(page, live_server, tmp_path):
    pts = ";".join(f"{x},{y},{int(x * y > 0)}" for x in (-4, -1.5, 1.5, 4) for y in (-3, 3))  # a tiny XOR
    page.goto(live_server.url + f"/playground?dataset=mine&pts={pts}&features=x1,x2,x1x2&layers=3&l2=0.001&lr=0.1&batch=2")
    for _ in range(20):
        page.locator("#pg-step").click()
    page.locator("#pg-export summary").click()
    expect(page.locator("#pg-keras")).to_have_value(re.compile("learned in the browser after 20 steps"))  # refreshed on opening
    code = page.locator("#pg-keras").input_value()
    assert "keras.Sequential" in code and "layers.Dense(3, activation=\"tanh\"" in code
    _, page_test_loss = losses(page)
    script = tmp_path / "playground_model.py"
    script.write_text(code + "\nimport json\nprint('JSON', json.dumps({'p': model.predict(features(TEST), verbose=0)[:, 0].tolist(),"
                      " 'loss': float(model.evaluate(features(TEST), TEST[:, 2], verbose=0)[0]), 'weights': WEIGHTS,"
                      " 'test': TEST.tolist()}))\n")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=240,
                         env={"KERAS_BACKEND": "tensorflow", "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert "test loss" in run.stdout  # the script's own output
    out = json.loads(run.stdout.split("JSON ", 1)[1])
    # Keras's predictions are our network's: the same weights in app/nn/mlp.py give the same probabilities
    w = out["weights"]
    net = MLP([3, 3, 1], ["tanh", "linear"])
    for layer, kernel, bias in zip(net.layers, w[0::2], w[1::2]):
        layer.W, layer.b = np.array(kernel).T, np.array(bias)
    test = np.array(out["test"])
    feats = np.stack([test[:, 0], test[:, 1], test[:, 0] * test[:, 1]], 1)
    ours = 1 / (1 + np.exp(-net.forward(feats)[:, 0]))
    assert np.allclose(out["p"], ours, atol=1e-5)  # float32 in Keras
    # the cross-entropy of Keras's predictions is the page's test loss; Keras's evaluate() adds the
    # L2 penalty (λ/2)·Σw² on top
    p, t = np.array(out["p"]), test[:, 2]
    assert float(np.mean(-t * np.log(p) - (1 - t) * np.log(1 - p))) == pytest.approx(page_test_loss, abs=1e-5)
    penalty = 0.001 / 2 * sum(float(np.sum(np.square(k))) for k in w[0::2])
    assert out["loss"] == pytest.approx(page_test_loss + penalty, abs=1e-4)


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("width", [390, 1920])
def test_screenshots(browser, live_server, lang, width):
    with opened(browser, live_server, "/playground?dataset=xor&features=x1,x2&layers=4,2&noise=10", width=width,
                height=1080, lang=lang, projector=width > 1000) as page:
        page.locator("#pg-play").click()
        page.wait_for_function("playgroundLab.trainer.steps >= 3000", timeout=30000)
        page.locator("#pg-play").click()
        no_sideways_scroll(page)
        screenshot(page, f"playground-{width}-{lang}")


@pytest.mark.parametrize("dataset", ["circle", "xor", "gauss", "spiral"])
def test_the_page_computes_what_app_nn_computes(page, live_server, dataset):
    """The page's data (from the seed), its network after 25 steps and its losses are app/nn's."""
    from app.nn import plane
    from app.nn.mlp import Trainer

    feats = ["x1", "x2", "x1sq", "x1x2", "sin2"]
    page.goto(live_server.url + f"/playground?dataset={dataset}&features={','.join(feats)}&layers=5,3&activation=tanh"
              "&acts=relu,tanh&lr=0.1&batch=7&l2=0.001&noise=20&split=60&seed=9")
    for _ in range(25):
        page.locator("#pg-step").click()
    js = page.evaluate("({train: playgroundLab.train, test: playgroundLab.test, w: playgroundLab.net.weights(),"
                       " trainLoss: playgroundLab.trainLoss, testLoss: playgroundLab.testLoss})")
    rng, points = plane.make(dataset, 400, 0.2, 9)
    train, test = plane.split(points, 0.6, rng)
    assert np.allclose(js["train"], train, rtol=1e-12, atol=1e-12) and np.allclose(js["test"], test, rtol=1e-12, atol=1e-12)
    net = MLP([5, 5, 3, 1], ["relu", "tanh", "linear"], seed=9, bias_scale=0.1)
    tr = Trainer(net, plane.features(train, feats), [[p[2]] for p in train], loss="logistic", batch_size=7, seed=9)
    for _ in range(25):
        tr.step(0.1, 0.001)
    for a, b in zip(js["w"], net.weights()):
        assert np.allclose(a["W"], b["W"], rtol=1e-9, atol=1e-12) and np.allclose(a["b"], b["b"], rtol=1e-9, atol=1e-12)
    assert js["trainLoss"] == pytest.approx(tr.loss(), rel=1e-9)
    assert js["testLoss"] == pytest.approx(tr.loss(plane.features(test, feats), [[p[2]] for p in test]), rel=1e-9)


def test_no_hidden_layer_and_no_points_still_work(page, live_server):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server.url + "/playground?dataset=gauss&layers=&lr=0.1")
    page.locator("#pg-play").click()
    page.wait_for_function("playgroundLab.trainer.steps >= 500")
    page.locator("#pg-play").click()
    assert losses(page)[1] < 0.2  # two Gaussians: a straight line (logistic regression) separates them
    expect(page.locator("#pg-add-layer")).to_be_enabled()
    expect(page.locator("#pg-remove-layer")).to_be_disabled()
    page.goto(live_server.url + "/playground?dataset=mine")  # no points yet: nothing to train, nothing breaks
    page.locator("#pg-step").click()
    expect(page.locator("#pg-test-loss")).to_have_text("–")
    assert errors == []
