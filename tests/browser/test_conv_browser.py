"""The convolution explorer and the CNN-inside page, driven like a learner would: by touch on a
phone and by mouse on a projector."""

import re

import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser


def board_values(page):
    return [t.strip() for t in page.locator("#conv-board .cell.filled span").all_inner_texts()]


def test_step_the_filter_and_watch_the_board_fill(page, live_server):
    page.goto(live_server.url + "/conv")
    assert board_values(page) == []
    page.locator("#conv-next").click()
    page.wait_for_function("document.querySelectorAll('#conv-board .cell.filled').length === 1")
    assert board_values(page) == ["35"]
    assert page.locator("#conv-sum").inner_text() == "35"
    assert page.locator(".conv-image .cell.win").count() == 9
    assert "step=1" in page.url  # the state is in the address bar
    for _ in range(5):
        page.locator("#conv-next").click()
        page.wait_for_timeout(50)
    page.wait_for_function("document.querySelectorAll('#conv-board .cell.filled').length === 6")
    assert board_values(page) == ["35", "27", "44", "32", "36", "38"]  # the slide's first row

    # the slide's misprint: the computer says 37
    page.locator("#conv-check").click()
    page.wait_for_function("document.querySelector('#conv-sum') && document.querySelector('#conv-sum').innerText === '37'")
    assert "36" in page.locator("#conv-board .slide-says").inner_text()

    # Play runs to the end; then ReLU and pooling appear with slide 206's numbers
    page.evaluate("document.getElementById('conv-stage').dataset.stepMs = '150'")  # a faster Play for the test
    page.locator("#conv-play").click()
    page.wait_for_selector("#conv-pooled", timeout=60000)
    pooled = [t.strip() for t in page.locator("#conv-pooled .cell").all_inner_texts()]
    assert pooled == ["36", "44", "43", "37", "26", "35", "38", "34", "40"]
    assert page.locator(".pool-src .cell.winner").count() == 9
    assert "step=36" in page.url
    screenshot(page, "conv-full-desktop-zh-TW")


def test_edit_a_cell_switch_padding_and_go_back(page, live_server):
    page.goto(live_server.url + "/conv?step=1")
    cell = page.locator("#img-0-0")
    cell.fill("10")
    cell.press("Tab")  # change → the server recomputes
    page.wait_for_function("document.querySelector('#conv-sum').innerText === '43'")  # 35 + (10 − 2)·1
    assert re.search(r"image=10%2C5|image=10,5", page.url)
    page.locator("input[name=padding][value=same]").check()
    page.wait_for_function("document.querySelectorAll('.conv-image .cell.pad').length === 36")
    assert "padding=same" in page.url
    assert page.locator("#conv-board .cell").count() == 64  # 8×8 board
    page.go_back()  # the edits were pushed: Back returns to the valid board
    page.wait_for_function("document.querySelectorAll('.conv-image .cell.pad').length === 0")
    # a teacher's clicker: → steps on (unless a number is being typed)
    page.locator("h1").click()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelectorAll('#conv-board .cell.filled').length === 2")


def test_a_non_number_is_refused_in_place(page, live_server):
    page.goto(live_server.url + "/conv?step=2")
    page.evaluate("""() => { const f = document.getElementById('conv-form');
        f.elements.image.value = '1,2_3,oops'; htmx.trigger(f, 'change'); }""")
    page.wait_for_selector("#conv-errors .error-box")
    assert "不是數字" in page.locator("#conv-errors").inner_text()
    assert page.locator("#conv-board").count() == 1  # the stage is still there


def test_phone_touch_presets_and_step(phone_page, live_server):
    page = phone_page
    page.goto(live_server.url + "/conv")
    page.locator('[data-example="vline"]').tap()
    page.wait_for_selector('[data-example="vline"].current')
    page.locator("#conv-last").tap()
    page.wait_for_selector("#conv-pooled")
    # a vertical filter over a vertical line: the column over the line scores 6, the rest 0 or −3
    assert "6" in board_values(page) and "−3" in board_values(page)
    assert page.locator("#ker-0-0").input_value() == "-1"
    assert page.locator("#conv-relu .cell.clipped").count() == 12  # ReLU turns the −3s into 0
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    screenshot(page, "conv-vline-phone-zh-TW")


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
    # answers also come while the stroke is drawn; the last one, for the whole 7, wins
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
    screenshot(page, "conv-digit-dialog-phone-zh-TW")
