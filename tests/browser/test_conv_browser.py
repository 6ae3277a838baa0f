"""The convolution explorer, driven like a learner would: by touch on a phone and by mouse on a
projector."""

import re

import pytest

from tests.browser.layout import LANGS, SCREENS, assert_fits_360, assert_on_screen, assert_tap_shows, assert_tap_targets, layout_page
from tests.conftest import no_sideways_scroll, opened, screenshot

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


@pytest.mark.parametrize("width, height", [(390, 844), (1920, 1080)])
def test_stride_2_padding_label_bias_and_empty_cell_say_what_happens(browser, live_server, width, height):
    """The padding label follows the stride (same + stride 2 pads one side, board 4×4); bias 5000 and
    an emptied cell are answered with a message beside the stage, which stays usable."""
    with opened(browser, live_server, "/conv?padding=same", width=width, height=height) as page:
        assert "一樣大" in page.locator("#conv-padding-same-note").inner_text()
        page.locator("input[name=stride][value='2']").check()
        page.wait_for_function("document.querySelector('#conv-padding-same-note').innerText.includes('只在下面和右邊')")
        assert page.locator("#conv-board .cell").count() == 16  # the label's 4×4
        assert "4×4" in page.locator("#conv-padding-same-note").inner_text()
        no_sideways_scroll(page)
        screenshot(page, f"conv-stride2-same-{width}")

        page.locator("#conv-bias").fill("5000")
        page.locator("#conv-bias").press("Tab")
        page.wait_for_selector("#conv-errors .error-box")
        assert "不能大於 1000" in page.locator("#conv-errors").inner_text()
        assert page.locator("#conv-errors .error-box").is_visible()
        page.locator("#conv-bias").fill("2")
        page.locator("#conv-bias").press("Tab")
        page.wait_for_function("!document.querySelector('#conv-errors .error-box')")  # fixed: the message goes

        page.locator("#img-0-1").fill("")
        page.locator("#img-0-1").press("Tab")
        page.wait_for_selector("#conv-errors .error-box")
        assert "第 1 列第 2 格是空的" in page.locator("#conv-errors").inner_text()
        page.wait_for_function("document.querySelector('#conv-errors .error-box').getBoundingClientRect().top >= 0")
        assert page.locator("#conv-errors .error-box").bounding_box()["y"] >= 0  # on screen, where the learner looks
        screenshot(page, f"conv-empty-cell-{width}")
