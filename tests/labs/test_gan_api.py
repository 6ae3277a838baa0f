"""The default digit generator committed in models/: POST /api/gan/generate gives the digit asked
for (read by the digit lab's CNN, which never saw a fake) and not the same digit over and over."""

import json

import numpy as np

from app.labs.gan import DEFAULT_WEIGHTS
from app.ml.gan_default import mean_distance


def test_default_generator_writes_the_digit_asked_for(client, shared):
    with np.load(shared / "datasets" / "mnist.npz") as data:
        x_test, y_test = data["x_test"], data["y_test"]
    right, ratios = [], []
    for digit in range(10):
        r = client.post("/api/gan/generate", json={"model": "default", "digit": digit, "count": 64, "seed": 100 + digit})
        assert r.status_code == 200, r.text
        body = r.json()
        images = np.array(body["images"], dtype=np.uint8)
        assert images.shape == (64, 28, 28)
        assert images[:, 0, :].mean() < 30 and images.max() > 200  # white digits on black, as in MNIST
        right += [c["digit"] == digit for c in body["cnn"]]
        ratios.append(mean_distance(images) / mean_distance(x_test[y_test == digit][:64]))
    assert np.mean(right) >= 0.9, f"the CNN read {np.mean(right):.1%} of the fakes as the digit asked for"
    assert min(ratios) > 0.5, f"too alike (mode collapse): {np.round(ratios, 2)}"  # real handwriting = 1


def test_manifest_records_how_it_was_made():
    manifest = json.loads(DEFAULT_WEIGHTS.with_suffix(".json").read_text())
    assert manifest["id"] == "gan-digits" and manifest["task"] == "gan" and manifest["file"] == DEFAULT_WEIGHTS.name
    assert manifest["metrics"]["fidelity"] >= 0.9 and manifest["metrics"]["diversity"] > 0.5
    assert manifest["reproduce"].startswith("playground train-defaults --only gan-digits")
    assert DEFAULT_WEIGHTS.stat().st_size < 5_000_000  # small enough to commit


# ---- /gan: the 2-D GAN page (it trains in the browser; tests/browser/test_gan_*.py drive it) ----

def test_the_plane_page_and_its_state_from_the_url(client):
    r = client.get("/gan?dist=clusters&dlr=0.003&glr=0.03&dsteps=3&opt=sgd&seed=7&slow=1")
    assert r.status_code == 200
    for html in ('value="clusters" id="dist-clusters" checked', 'value="0.003" selected', 'value="0.03" selected',
                 'value="3" selected', 'value="sgd" selected', 'value="7"', 'id="gan-slow" name="slow" value="1" checked'):
        assert html in r.text, html
    assert "平面上的比賽" in r.text and 'href="/gan/digits"' in r.text
    assert "/static/js/gan.js" in r.text and "/static/js/nn.js" in r.text
    en = client.get("/gan", headers={"accept-language": "en"})
    assert "A GAN in the plane" in en.text and "Ring of 8" in en.text
    drawn = client.get("/gan?dist=drawn&pts=-0.5,0.5;0.25,-0.75")
    assert drawn.status_code == 200 and 'value="-0.5,0.5;0.25,-0.75"' in drawn.text


def test_the_home_page_and_the_digit_page_link_to_the_plane(client):
    assert 'href="/gan"' in client.get("/").text
    assert 'href="/gan"' in client.get("/gan/digits").text


def test_a_bad_address_opens_the_lab_with_a_message(client):
    cases = [("dist=moon", "ring / line / clusters / drawn"), ("dsteps=9", "5"), ("dlr=0", "0"), ("dlr=nan", ""),
             ("opt=rmsprop", "adam / sgd"), ("pts=0.5,2", "−1"), ("pts=" + ";".join(["0.1,0.1"] * 201), "200"),
             ("pts=a,b", "x,y"), ("seed=-1", "")]
    for query, said in cases:
        r = client.get(f"/gan?{query}", headers={"accept-language": "en"})
        assert r.status_code == 422, query
        assert 'class="error-box"' in r.text and said in r.text, query
        assert 'value="ring" id="dist-ring" checked' in r.text  # the defaults, so the lab still opens
    zh = client.get("/gan?dist=moon")
    assert zh.status_code == 422 and "只能是" in zh.text
