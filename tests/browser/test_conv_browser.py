"""The convolution explorer, driven like a learner would: by touch on a phone and by mouse on a
projector."""

import re

import pytest

from tests.browser.layout import LANGS, SCREENS, assert_fits_360, assert_on_screen, assert_tap_shows, assert_tap_targets, layout_page
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


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_next_and_the_nine_products_are_on_screen_together(browser, live_server, screen, lang):
    with layout_page(browser, live_server, screen, lang) as page:
        page.goto(live_server.url + "/conv")
        assert_fits_360(page)
        assert_tap_targets(page)  # the image's cells too: each at least 44 px at 390
        for _ in range(2):
            assert_tap_shows(page, "#conv-next", "#conv-products", shot="conv-next")
            if screen.projector:  # the projector shows the board too; a phone has it right below
                assert_on_screen(page, "#conv-board .cell.now")


def test_honest_words_for_stride_2_a_huge_bias_and_an_empty_cell(page, live_server):
    page.goto(live_server.url + "/conv?padding=same&stride=2")
    same = page.locator("label.choice", has_text="same").inner_text()
    assert "4×4" in same and "一圈" not in same, same  # one-sided zeros, and the board is 4×4, not 8×8
    page.locator("#conv-bias").fill("5000")
    page.locator("#conv-bias").press("Enter")
    page.wait_for_selector("#conv-errors .error-box")
    assert "1000" in page.locator("#conv-errors").inner_text()  # out of range: said, not ignored
    page.goto(live_server.url + "/conv")
    page.locator("#img-0-0").fill("")
    page.locator("#img-0-0").press("Tab")
    page.wait_for_selector("#conv-errors .notice")
    assert page.locator("#img-0-0").input_value() == "0"
    assert "0" in page.locator("#conv-errors .notice").inner_text()
