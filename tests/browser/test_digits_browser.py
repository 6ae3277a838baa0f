"""The digit lab in a real browser: draw with a mouse on a desktop and with a finger on a phone,
and see the networks read the digit; the phone must not scroll while drawing. Screenshots of
both languages at 390 px and 1920 px go to test-artifacts/screenshots/ for a person to look at."""

from __future__ import annotations

import pytest

from tests.browser.layout import (LANGS, SCREENS, assert_fits_360, assert_on_screen, assert_tap_targets, layout_page,
                                  page_shot)
from tests.conftest import new_context, screenshot

pytestmark = pytest.mark.browser

# A "7": the top bar, then the long diagonal — as fractions of the canvas.
SEVEN = [[(0.28, 0.22), (0.50, 0.22), (0.72, 0.22)], [(0.72, 0.22), (0.60, 0.50), (0.48, 0.82)]]
# A "1": one vertical stroke, drawn small in a corner (MNIST-style centring must find it).
ONE_SMALL = [[(0.78, 0.60), (0.78, 0.72), (0.78, 0.85)]]


def canvas_box(page):
    box = page.locator("#digit-pad canvas").bounding_box()
    assert box and box["width"] > 100, "the drawing pad is missing or tiny"
    return box


def draw_with_mouse(page, strokes):
    box = canvas_box(page)
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            for i in range(1, 9):  # several moves per segment, like a real hand
                t = i / 8
                page.mouse.move(box["x"] + (x0 + (x1 - x0) * t) * box["width"], box["y"] + (y0 + (y1 - y0) * t) * box["height"])
        page.mouse.up()


def draw_with_finger(page, strokes):
    """Touch events through the DevTools protocol (Playwright's touchscreen can only tap)."""
    cdp = page.context.new_cdp_session(page)
    box = canvas_box(page)

    def touch(kind, x, y):
        points = [] if kind == "touchEnd" else [{"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"]}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    for stroke in strokes:
        touch("touchStart", *stroke[0])
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            for i in range(1, 9):
                t = i / 8
                touch("touchMove", x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
        touch("touchEnd", 0, 0)


def wait_for_answer(page, digit: int):
    """Until the answer to the newest drawing is on the page, and it reads `digit`."""
    page.wait_for_function(
        "() => { const lab = document.getElementById('digits-lab');"
        " return document.getElementById('digit-pad').dataset.pending === '0'"
        " && !lab.classList.contains('busy') && lab.dataset.latest && lab.dataset.shown === lab.dataset.latest; }")
    top = page.locator(".digits-answer.main .digits-top").inner_text().strip()
    assert top == str(digit), f"read {top}, drawn {digit}"


def open_lab(browser, live_server, width, height, lang, touch, projector=False):
    context = new_context(browser, width=width, height=height, lang=lang, touch=touch)
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url},
                         {"name": "projector", "value": "1" if projector else "0", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(live_server.url + "/digits")
    page.wait_for_selector("#digits-lab.ready")
    return context, page


def close(context):
    external = context.guard.external
    context.close()
    assert not external, f"the page requested other hosts: {external}"


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_mouse_drawing_on_a_desktop_is_read_by_both_networks(browser, live_server, lang):
    context, page = open_lab(browser, live_server, 1920, 1080, lang, touch=False)
    try:
        assert page.locator(".digits-answer").count() == 2  # CNN and DNN side by side
        draw_with_mouse(page, SEVEN)
        wait_for_answer(page, 7)
        tops = [t.strip() for t in page.locator(".digits-answer .digits-top").all_inner_texts()]
        assert tops == ["7", "7"], f"CNN and DNN read {tops}"
        bars = page.locator(".digits-answer.main .bar-value").all_inner_texts()
        assert len(bars) == 10 and abs(sum(float(b.rstrip("%")) for b in bars) - 100) < 1.0  # probabilities sum to 1
        # the 28×28 picture: hovering a square tells its number
        grid = page.locator("svg.digits-grid")
        gbox = grid.bounding_box()
        page.mouse.move(gbox["x"] + gbox["width"] * 14.5 / 28, gbox["y"] + gbox["height"] * 5.5 / 28)
        readout = page.locator(".digits-readout").inner_text()
        assert ("6" in readout and "15" in readout), readout
        page.locator("input.show-numbers").check()
        screenshot(page, f"digits-desktop-1920-{lang}")
        # undo removes the diagonal and asks again; clear empties the answer
        ink = "() => JSON.parse(document.querySelector('svg.digits-grid').dataset.pixels).flat().filter(v => v > 0).length"
        ink_of_seven = page.evaluate(ink)
        asked = int(page.locator("#digits-lab").get_attribute("data-latest"))
        page.locator("#digits-undo").click()
        page.wait_for_function("n => +document.getElementById('digits-lab').dataset.shown > n", arg=asked)
        assert page.evaluate(ink) < ink_of_seven, "after undo the network sees only the top bar"
        page.locator("#digits-clear").click()
        page.wait_for_function("() => document.querySelector('.digits-answer.main .digits-top').textContent.trim() === '?'")
    finally:
        close(context)


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_finger_drawing_on_a_phone_is_read_and_the_page_does_not_scroll(browser, live_server, lang):
    context, page = open_lab(browser, live_server, 390, 844, lang, touch=True)
    try:
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the page is {overflow}px wider than the phone"
        page.locator("#digit-pad canvas").scroll_into_view_if_needed()
        scroll_before = page.evaluate("window.scrollY")
        draw_with_finger(page, SEVEN)
        wait_for_answer(page, 7)
        assert page.evaluate("window.scrollY") == scroll_before, "the page scrolled while drawing"
        assert page.evaluate("getComputedStyle(document.querySelector('#digit-pad canvas')).touchAction") == "none"
        # tapping a square of the 28×28 picture tells its number
        grid = page.locator("svg.digits-grid")
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        grid.tap(position={"x": box["width"] * 14.5 / 28, "y": box["height"] * 27.5 / 28})
        assert ("28" in page.locator(".digits-readout").inner_text()) and ("15" in page.locator(".digits-readout").inner_text())
        page.locator("#digit-pad canvas").scroll_into_view_if_needed()
        screenshot(page, f"digits-phone-390-{lang}")
        page.locator("#digits-clear").tap()
        draw_with_finger(page, ONE_SMALL)
        wait_for_answer(page, 1)
    finally:
        close(context)


def test_model_switch_is_in_the_address(browser, live_server):
    context, page = open_lab(browser, live_server, 1280, 900, "en", touch=False)
    try:
        page.select_option("#digits-model", "digits-dnn")
        page.wait_for_load_state()
        page.wait_for_selector("#digits-lab.ready")
        assert "model=digits-dnn" in page.url
        assert page.locator("#digits-model").input_value() == "digits-dnn"
        draw_with_mouse(page, SEVEN)
        wait_for_answer(page, 7)
        assert page.locator(".digits-answer.main").get_attribute("data-model") == "digits-dnn"
    finally:
        close(context)


def test_projector_mode_shows_a_huge_answer(browser, live_server):
    context, page = open_lab(browser, live_server, 1920, 1080, "zh-TW", touch=False, projector=True)
    try:
        draw_with_mouse(page, SEVEN)
        wait_for_answer(page, 7)
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.digits-answer.main .digits-top')).fontSize)")
        assert size >= 120, f"the answer is only {size}px tall on a projector"
        screenshot(page, "digits-projector-1920-zh-TW")
    finally:
        close(context)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_the_pad_and_its_answer_are_on_screen_together(browser, live_server, screen, lang):
    with layout_page(browser, live_server, screen, lang) as page:
        page.goto(live_server.url + "/digits")
        page.wait_for_selector("#digits-lab.ready")
        assert_fits_360(page)
        assert_tap_targets(page)
        (draw_with_finger if screen.touch else draw_with_mouse)(page, SEVEN)
        wait_for_answer(page, 7)
        page_shot(page, "digits-answer")
        assert_on_screen(page, "#digit-pad canvas", "#digits-quick .digits-quick-item.main b")
        assert_tap_targets(page)
        if screen.projector:  # "show all the numbers" reads from the back row: ≥ 14 px a number
            page.locator(".digits-numbers-toggle").first.click()
            page.wait_for_timeout(300)
            height = page.locator("svg.digits-grid .numbers text").first.evaluate("t => t.getBoundingClientRect().height")
            page_shot(page, "digits-numbers")
            assert height >= 14, f"numbers {height:.1f} px high"
