"""/fit in Chromium: the network trains live in the page (nn.js) and fits sin; a target drawn by
finger becomes the data; settings are in the URL; touch at 390 px, projector, both languages."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_neuron_browser import english_words, htmx_settled
from tests.conftest import no_sideways_scroll, opened, screenshot

pytestmark = pytest.mark.browser


def mse(page) -> float:
    return float(page.locator("#fit-mse").get_attribute("data-mse"))


def test_trains_live_and_fits_sin_at_390_px(phone_page, live_server):
    page = phone_page
    page.goto(live_server.url + "/fit?target=sin&hidden=16&activation=relu&lr=0.05&seed=0")
    start = mse(page)
    page.locator("#fit-play").tap()
    page.wait_for_function("+document.getElementById('fit-steps').dataset.steps >= 2000", timeout=60000)
    page.locator("#fit-play").tap()  # pause
    assert mse(page) < 0.01 < start  # the same figure as POST /api/fit
    rate = page.evaluate("window.fitLab.stepsPerSecond")
    print(f"fit: {rate:.0f} steps/s at 390 px (16 ReLU neurons, 101 points, full batch)")
    assert rate > 100


def test_one_step_matches_the_server(page, live_server):
    # the page's first step from the same seed is the server's (nn.js and app/nn/mlp.py agree)
    page.goto(live_server.url + "/fit?target=sin&hidden=4&activation=tanh&lr=0.1&seed=2")
    for _ in range(10):
        page.locator("#fit-step").click()
    expect(page.locator("#fit-steps")).to_have_text("10")
    page_mse = page.evaluate("window.fitLab.trainer.loss()")
    from app.nn.fit import fit, target_points
    assert page_mse == pytest.approx(fit(target_points("sin"), 4, "tanh", 0.1, 10, 2).mse, rel=1e-9)


def test_draw_a_target_by_touch_at_390_px(phone_page, live_server):
    page = phone_page
    page.goto(live_server.url + "/fit?hidden=6")
    page.locator("#fit-draw").tap()
    expect(page.locator("#fit-draw-hint")).to_be_visible()  # "draw on the chart from left to right"
    canvas = page.locator("#fit-canvas")
    box = canvas.bounding_box()
    # a finger stroke left to right, a "V": CDP touch events, as a phone sends them
    cdp = page.context.new_cdp_session(page)
    points = [(box["x"] + box["width"] * (0.15 + 0.7 * i / 20), box["y"] + box["height"] * (0.2 + 0.6 * (1 - abs(i - 10) / 10)))
              for i in range(21)]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
    for x, y in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(500)  # Chromium's gesture detector takes a moment to end the stroke before the next tap
    expect(page.locator("#target-drawn")).to_be_checked()
    assert "target=drawn" in page.url and "draw=" in page.url
    htmx_settled(page)
    page.locator("#fit-play").tap()
    page.wait_for_function("+document.getElementById('fit-steps').dataset.steps >= 300")
    assert mse(page) < 0.2
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    for sel in ("#fit-play", "#fit-draw", "#target-sin + span", "#hidden"):
        assert page.locator(sel).bounding_box()["height"] >= 44, sel
    page.reload()  # the drawing is in the URL
    expect(page.locator("#target-drawn")).to_be_checked()


def test_settings_change_restarts_and_no_english_on_the_chinese_page(page, live_server):
    page.goto(live_server.url + "/fit")
    page.locator("#activation").select_option("sigmoid")
    expect(page.locator("#fit-root")).to_have_attribute("data-activation", "sigmoid")
    assert "activation=sigmoid" in page.url
    page.locator("label:has(#target-step)").click()
    expect(page.locator("#target-step")).to_be_checked()
    allowed = {"sin", "relu", "sigmoid", "tanh"}
    assert {w for w in english_words(page.locator("body").inner_text()) if w.lower() not in allowed} == set()


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("width", [390, 1920])
def test_screenshots(browser, live_server, lang, width):
    with opened(browser, live_server, "/fit?target=sin&hidden=5&activation=relu&lr=0.1&seed=1", width=width,
                height=1080, lang=lang, projector=width > 1000) as page:
        page.locator("#fit-play").click()
        page.wait_for_function("+document.getElementById('fit-steps').dataset.steps >= 1500", timeout=30000)
        page.locator("#fit-play").click()
        no_sideways_scroll(page)
        screenshot(page, f"fit-{width}-{lang}")
