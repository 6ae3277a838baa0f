"""Your drawing inside the CNN (/conv/digit), driven like a learner would: by touch on a phone and
by mouse on a projector."""

import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser


def draw_seven(page):
    box = page.locator("#cnn-pad canvas").bounding_box()
    x0, y0, w = box["x"], box["y"], box["width"]
    page.mouse.move(x0 + 0.25 * w, y0 + 0.2 * w)
    page.mouse.down()
    page.mouse.move(x0 + 0.75 * w, y0 + 0.2 * w, steps=10)
    page.mouse.move(x0 + 0.45 * w, y0 + 0.85 * w, steps=12)
    page.mouse.up()


def test_draw_a_digit_and_see_its_feature_maps(page, live_server):
    page.goto(live_server.url + "/conv/digit")
    assert page.locator("#layer-conv1").count() == 0  # no maps before a drawing …
    page.wait_for_selector("#cnn-filters .fmap", timeout=60000)  # … but the learned filters (this loads the CNN)
    assert page.locator("#cnn-filters .fmap").count() == 16
    page.locator("#cnn-filters .fmap").nth(0).click()
    assert page.locator("#fmap-weights td").count() == 9 and not page.locator("#fmap-explore").is_visible()
    page.keyboard.press("Escape")
    draw_seven(page)
    page.wait_for_selector("#layer-conv1 .fmap", timeout=60000)
    # the answer comes when the stroke ends, for the whole 7
    page.wait_for_function("document.querySelector('#cnn-digit') && document.querySelector('#cnn-digit').innerText === '7'")
    page.wait_for_load_state("networkidle")
    assert page.locator("#layer-conv1 .fmap").count() == 16
    assert page.locator("#layer-pool1 .fmap").count() == 16
    assert page.locator("#layer-conv3 .fmap").count() == 64
    # a feature map is a real picture, drawn with sharp squares
    img = page.locator("#layer-conv1 .fmap img").first
    assert page.evaluate("(i) => i.complete && i.naturalWidth", img.element_handle()) == 28
    assert img.evaluate("(i) => getComputedStyle(i).imageRendering") == "pixelated"
    # tap a map: it opens large, with the 3×3 filter that made it
    page.locator("#layer-conv1 .fmap").nth(4).click()
    dialog = page.locator("#fmap-dialog")
    assert dialog.is_visible() and "conv1" in page.locator("#fmap-title").inner_text()
    assert page.locator("#fmap-weights td").count() == 9 and page.locator("#fmap-filter").is_visible()
    explore = page.locator("#fmap-explore").get_attribute("href")
    assert "padding=same" in explore and "step=784" in explore
    page.locator("#fmap-dialog .fmap-close button").click()
    assert not dialog.is_visible()
    # the colour scale is part of the URL; the maps are redrawn
    page.locator("input[name=scale][value=map]").check()
    page.wait_for_function("location.search.includes('scale=map')")
    page.wait_for_selector("text=每張特徵圖用自己的最大值")
    page.locator("#cnn-clear").click()
    page.wait_for_selector(".cnn-empty")
    page.wait_for_selector("#cnn-filters .fmap")  # the filters come back with the empty page
    # the map's link: the drawing and the learned filter, worked out in the explorer
    page.goto(live_server.url + explore)
    assert page.locator("#conv-board .cell.filled").count() == 28 * 28
    assert page.locator("#conv-pooled .cell").count() == 14 * 14


def test_phone_draw_by_touch_and_enlarge(phone_page, live_server):
    page = phone_page
    page.goto(live_server.url + "/conv/digit")
    draw_seven(page)  # pointer events from the mouse: the canvas takes touch and pen the same way
    page.wait_for_selector("#layer-conv1 .fmap", timeout=60000)
    page.wait_for_load_state("networkidle")
    page.locator("#layer-pool1 .fmap").nth(0).tap()
    assert page.locator("#fmap-dialog").is_visible() and not page.locator("#fmap-filter").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    screenshot(page, "conv_digit-dialog-phone-zh-TW")


def test_one_stroke_costs_one_request_under_100_kb_and_a_second(page, live_server):
    """Classroom Wi-Fi: the maps come once, when the stroke ends, compressed."""
    page.goto(live_server.url + "/conv/digit")
    page.wait_for_selector("#cnn-filters .fmap", timeout=60000)
    page.wait_for_load_state("networkidle")
    sent = []
    page.on("requestfinished", lambda r: sent.append(r) if "/conv/digit/layers" in r.url else None)
    draw_seven(page)
    t0 = page.evaluate("performance.now()")
    page.wait_for_selector("#layer-conv1 .fmap", timeout=60000)
    shown_ms = page.evaluate("performance.now()") - t0
    page.wait_for_load_state("networkidle")
    assert len(sent) == 1, f"{len(sent)} requests for one stroke"
    sizes = sent[0].sizes()
    wire = sizes["responseBodySize"] + sizes["requestBodySize"]
    assert sent[0].response().header_value("content-encoding") == "gzip"
    assert wire <= 100 * 1024, f"{wire} bytes for one stroke"
    assert shown_ms <= 1000, f"maps shown {shown_ms:.0f} ms after the stroke ended"
    print(f"one stroke: 1 request, {wire} bytes on the wire, maps shown after {shown_ms:.0f} ms")
