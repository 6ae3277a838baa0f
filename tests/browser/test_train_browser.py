"""The training lab in a real browser, against `playground serve` with its own local worker:
design a small DNN, guess and reveal its parameter count, train 1 epoch, watch the curves update
(in two tabs), then draw a digit for the new model in the digit lab. Screenshots of the design
and job pages at 390 px and 1920 px in both languages go to test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
from urllib.parse import parse_qs, urlsplit

from app.labs.train_form import form_query
from app.ml.design import TrainDesign
from tests.browser.test_digits_browser import SEVEN, draw_with_mouse
from tests.browser.layout import (LANGS, SCREENS, assert_fits_360, assert_on_screen, assert_tap_targets, layout_page,
                                  page_shot, settle)
from tests.conftest import LiveServer, new_context, no_sideways_scroll, opened, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# small batches: one epoch lasts long enough (5 000 steps) to watch the curves grow
SMALL = TrainDesign(hidden_layers=[32], loss="categorical_crossentropy", optimizer="adam", learning_rate=0.001,
                    batch_size=10, epochs=3)  # three epochs: long enough to watch, even on a fast JAX worker


@pytest.fixture(scope="module")
def server(tmp_path_factory, shared):
    """`playground serve` as the README runs it: the web app and one local worker."""
    s = LiveServer(tmp_path_factory.mktemp("train-live") / "data", worker=True)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def shared_state():
    return {}


def open_page(browser, server, path, width=1280, height=900, lang="zh-TW", touch=False):
    context = new_context(browser, width=width, height=height, lang=lang, touch=touch)
    context.add_cookies([{"name": "lang", "value": lang, "url": server.url}])
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(server.url + path)
    return context, page


def close(context):
    external = context.guard.external
    context.close()
    assert not external, f"the page requested other hosts: {external}"


WATCH = """() => {
  window.__renders = [];
  const record = () => {
    const box = document.getElementById('progress-box');
    const line = document.querySelector('#loss-chart polyline');
    window.__renders.push({status: box && box.dataset.status,
                           points: line ? line.getAttribute('points').trim().split(' ').length : 0});
  };
  record();
  new MutationObserver(record).observe(document.getElementById('job-progress'), {childList: true, subtree: true});
}"""


def test_design_train_watch_and_use_in_the_digit_lab(browser, server, shared_state):
    context, page = open_page(browser, server, f"/train?{form_query(SMALL)}")
    try:
        # guess first, then reveal
        assert "hide-answers" in page.locator("#train-preview").get_attribute("class")
        page.fill("#guess", "25450")
        page.click("#reveal-button")
        assert page.locator("#guess-verdict").inner_text() == "猜對了！"
        assert "hide-answers" not in page.locator("#train-preview").get_attribute("class")
        assert page.locator("#total-params").inner_text() == "25,450"
        # a change of the design updates the table and the address
        page.fill("#neurons1", "40")
        page.locator("#neurons1").press("Tab")
        page.wait_for_function("() => document.getElementById('total-params').textContent === '31,810'")
        assert "neurons=40" in page.url
        page.fill("#neurons1", "32")
        page.locator("#neurons1").press("Tab")
        page.wait_for_function("() => document.getElementById('total-params').textContent === '25,450'")
        # train
        page.click("#train-button")
        page.wait_for_url("**/train/jobs/*")
        job_url = page.url
        shared_state["job"] = job_url.removeprefix(server.url)
        page.evaluate(WATCH)
        page.wait_for_function(
            "() => { const box = document.getElementById('progress-box');"
            " const line = document.querySelector('#loss-chart polyline');"
            " return box.dataset.status !== 'queued' && (box.dataset.status !== 'running' || (line &&"
            " line.getAttribute('points').trim().split(' ').length >= 2)); }", timeout=150_000)
        assert page.locator("#progress-box").get_attribute("data-status") == "running", "finished before we saw it run"
        # inside an epoch the bar and the batch counter move
        page.wait_for_function("() => { const f = document.querySelector('#job-meter .meter-fill');"
                               " return f && parseFloat(f.style.width) > 0 && document.getElementById('batch-counter'); }")
        assert re.search(r"第 [123] / 3 輪", page.locator("#batch-counter").inner_text())
        assert "784 → 32 → 10" in page.locator("#job-design").inner_text()  # and the design it trains
        screenshot(page, "train-job-running")
        other_context, other = open_page(browser, server, job_url.removeprefix(server.url), lang="en")
        try:
            page.wait_for_selector("#test-accuracy", timeout=150_000)
            other.wait_for_selector("#test-accuracy", timeout=30_000)  # a second tab follows too
            assert "Done" in other.locator("#job-status").inner_text()
        finally:
            close(other_context)
        renders = page.evaluate("window.__renders")
        statuses = [r["status"] for r in renders if r["status"]]
        assert "running" in statuses and statuses[-1] == "succeeded", statuses
        growing = sorted({r["points"] for r in renders if r["points"]})
        assert len(growing) >= 2, f"the loss curve never grew while we watched: {renders}"
        accuracy = float(page.locator("#test-accuracy").inner_text().rstrip("%"))
        assert accuracy > 80  # one epoch of a 32-neuron DNN
        assert page.locator("#confusion tbody tr").count() == 10
        assert page.locator("#mistake img").count() == 1
        assert "裝置 CPU" in page.locator("#worker-line").inner_text()
        # use it in the digit lab: the link selects the new model, and it reads a drawing
        model_id = page.locator("#use-in-digits").get_attribute("href").split("model=")[1]
        page.click("#use-in-digits")
        page.wait_for_selector("#digits-lab.ready")
        assert page.locator("#digits-model").input_value() == model_id
        draw_with_mouse(page, SEVEN)
        page.wait_for_function(
            "() => { const lab = document.getElementById('digits-lab');"
            " return lab.dataset.latest && lab.dataset.shown === lab.dataset.latest && !lab.classList.contains('busy'); }")
        answer = page.locator(".digits-answer.main .digits-top").inner_text().strip()
        assert answer.isdigit(), f"the new model gave no answer: {answer!r}"
        screenshot(page, "train-digit-lab-with-my-model")
    finally:
        close(context)


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("width,height,touch", [(390, 844, True), (1920, 1080, False)])
def test_pages_fit_phones_and_projectors(browser, server, shared_state, lang, width, height, touch):
    context, page = open_page(browser, server, "/train?" + form_query(TrainDesign(architecture="cnn")),
                              width=width, height=height, lang=lang, touch=touch)
    try:
        page.click("#reveal-button")
        page.locator("#keras-code-box summary").click()  # the code's long lines scroll in their box
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the design page is {overflow}px wider than the screen"
        screenshot(page, f"train-design-{width}-{lang}")
        if "job" in shared_state:  # the job trained above, finished: curves, matrix, mistakes
            page.goto(server.url + shared_state["job"])
            page.wait_for_selector("#test-accuracy")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"the job page is {overflow}px wider than the screen"
            screenshot(page, f"train-job-{width}-{lang}")
    finally:
        close(context)


def test_the_limit_message_and_the_cancel_button(browser, server):
    long = SMALL.model_copy(update={"epochs": 50})
    context, page = open_page(browser, server, f"/train?{form_query(long)}", lang="en")
    try:
        jobs = []
        for _ in range(2):
            page.goto(f"{server.url}/train?{form_query(long)}")
            page.click("#train-button")
            page.wait_for_url("**/train/jobs/*")
            jobs.append(page.url)
        page.goto(f"{server.url}/train?{form_query(long)}")
        page.click("#train-button")  # a third one while two are queued or running
        error = page.locator("#train-error .error-box")
        error.wait_for()
        assert "2 jobs" in error.inner_text() and "/train?" in page.url
        for url in jobs:  # cancel both: the running one stops at its next batch
            page.goto(url)
            page.wait_for_selector("#cancel-button")
            page.click("#cancel-button")
            page.wait_for_selector("#progress-box[data-status=cancelled]", timeout=30_000)
            assert page.locator("#job-status").inner_text() == "Cancelled"
            assert page.locator("#cancel-button").count() == 0
    finally:
        close(context)


IMPOSSIBLE = ("/train?architecture=cnn&blocks=2&padding=valid&padding=valid&kernel=7&kernel=7&pool=3&pool=0"
              "&filters=4&filters=4&dense_count=0")


@pytest.mark.parametrize("width, height, lang", [(390, 844, "zh-TW"), (1920, 1080, "en")])
def test_an_impossible_cnn_is_said_beside_its_field_and_train_waits(browser, live_server, width, height, lang):
    """28 − 6 = 22, 3×3 pool → 7, − 6 = 1: then 3×3 pooling in block 2 cannot fit. Picking it shows the
    error by the pool field, Train is disabled and the address follows; a fix brings the table back."""
    with opened(browser, live_server, IMPOSSIBLE, width=width, height=height, lang=lang) as page:
        assert page.locator("#layer-table").count() == 1 and page.locator("#train-button").is_enabled()
        page.select_option("#pool2", "3")
        problem = page.locator("#design-problem")
        problem.wait_for()
        assert ("1×1" in problem.inner_text()) and ("3×3" in problem.inner_text())
        assert page.locator("#train-button").is_disabled()
        assert page.url.count("pool=3") == 2  # the address is the design on screen
        page.locator("#pool2").scroll_into_view_if_needed()
        field, message = page.locator("#pool2").bounding_box(), problem.bounding_box()
        assert 0 <= message["y"] - (field["y"] + field["height"]) < 200  # right under the field
        assert message["y"] + message["height"] <= height  # and on screen with it
        no_sideways_scroll(page)
        screenshot(page, f"train-impossible-{width}-{lang}")
        page.select_option("#pool2", "0")
        page.wait_for_selector("#layer-table")
        assert page.locator("#design-problem").count() == 0 and page.locator("#train-button").is_enabled()
        # the same impossible design from a link: the page, usable, with the same message
        response = page.goto(live_server.url + IMPOSSIBLE.replace("pool=0", "pool=3"))
        assert response.status == 422 and page.locator("#design-problem").is_visible()
        page.select_option("#padding2", "same")  # fixing it there works too
        page.wait_for_selector("#layer-table")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_an_impossible_cnn_shows_its_error_beside_the_field(browser, live_server, screen, lang):
    with layout_page(browser, live_server, screen, lang) as page:
        page.goto(live_server.url + "/train?architecture=cnn&blocks=2&kernel=7&kernel=7&padding=valid&padding=valid"
                  "&pool=3&pool=0&loss=categorical_crossentropy")
        assert_fits_360(page)
        assert_tap_targets(page)
        # the loss select is wide enough for its longest name (not cut off)
        fits = page.locator("#loss").evaluate("""s => { const c = document.createElement('canvas').getContext('2d');
            const st = getComputedStyle(s); c.font = st.fontSize + ' ' + st.fontFamily;
            return c.measureText(s.options[s.selectedIndex].text).width + 40 <= s.clientWidth; }""")
        assert fits, "the loss select cuts categorical_crossentropy off"
        page.locator("#pool2").scroll_into_view_if_needed()
        page.locator("#pool2").select_option("2")  # 1×1 pooled 2×2: nothing left
        page.wait_for_selector("#design-problem")
        settle(page)
        page_shot(page, "train-impossible")
        assert_on_screen(page, "#pool2", "#design-problem")
        assert ("區塊 2" if lang == "zh-TW" else "Block 2") in page.locator("#design-problem").inner_text()
        assert page.locator("#train-button").is_disabled()
        assert parse_qs(urlsplit(page.url).query)["pool"] == ["3", "2"]  # the address follows the form
        page.locator("#pool2").select_option("0")  # and back: the page is usable again
        page.wait_for_selector("#layer-table")
        assert page.locator("#train-button").is_enabled()
