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


def ink_requests(page) -> list:
    """Every live request the page sent (POST /digits/ink), as the page's own fetch saw it."""
    return page.evaluate("window.__ink || []")


TRACK_INK = """
  window.__ink = []; window.__inkDelay = 0;
  const realFetch = window.fetch;
  window.fetch = function (url, options) {
    if (!String(url).includes('/digits/ink')) return realFetch(url, options);
    window.__ink.push({url: String(url), at: performance.now()});
    const go = () => realFetch(url, options);
    return window.__inkDelay ? new Promise(r => setTimeout(r, window.__inkDelay)).then(go) : go();  // a slow server, as a phone sees it
  };
"""


def test_the_live_answer_comes_from_the_ink_path_and_agrees_with_the_png_reference(browser, live_server):
    import base64
    import io
    import zlib

    import numpy as np
    from PIL import Image

    from app.ml.digits import ink_box

    context, page = open_lab(browser, live_server, 1280, 900, "en", touch=False)
    try:
        page.add_init_script(TRACK_INK)
        page.reload()
        page.wait_for_selector("#digits-lab.ready")
        bodies = []
        page.on("request", lambda r: bodies.append((r.url, r.post_data_buffer)) if "/digits/ink" in r.url else None)
        fragments = []
        page.on("request", lambda r: fragments.append(r.url) if r.url.endswith("/digits/predict") else None)
        draw_with_mouse(page, SEVEN)
        wait_for_answer(page, 7)
        assert ink_requests(page) and not fragments, "the page asks the live path, not the fragment"
        png = base64.b64decode(page.evaluate("document.querySelector('#digit-pad canvas').toDataURL('image/png')").split(",")[1])
        alpha = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))[..., 3]
        url, body = bodies[-1]  # the end of the last stroke: what stays on the screen
        box = ink_box(alpha)
        assert f"w={box.shape[1]}" in url and f"h={box.shape[0]}" in url
        assert zlib.decompress(body) == box.tobytes(), "digits_canvas.js inkBox() is app.ml.digits.ink_box()"
        # the page shows what the reference path (the PNG, POST /api/digits/predict) answers for this canvas
        reference = page.request.post(live_server.url + "/api/digits/predict", multipart={
            "image": {"name": "d.png", "mimeType": "image/png", "buffer": png}, "model": "digits-cnn"}).json()
        assert page.evaluate("JSON.parse(document.querySelector('svg.digits-grid').dataset.pixels)") == reference["input"]
        assert page.locator("svg.digits-grid rect[fill-opacity]").count() == sum(v > 0 for row in reference["input"] for v in row)
        shown = [float(v.rstrip("%")) for v in page.locator(".digits-answer.main .bar-value").all_inner_texts()]
        assert np.allclose(shown, np.array(reference["probabilities"]) * 100, atol=0.051)
        top = page.locator(".digits-answer.main .digits-confidence").inner_text()
        assert top == f"probability {max(reference['probabilities']) * 100:.1f}%"
        assert page.locator("#digits-quick .digits-quick-item.main b").inner_text() == "7"
    finally:
        close(context)


def draw_slowly(page, x: float, y0: float, y1: float, seconds: float):
    """One vertical stroke that takes `seconds` (a learner drawing a long "1")."""
    box = canvas_box(page)
    steps = 40
    page.mouse.move(box["x"] + x * box["width"], box["y"] + y0 * box["height"])
    page.mouse.down()
    for i in range(1, steps + 1):
        page.mouse.move(box["x"] + x * box["width"], box["y"] + (y0 + (y1 - y0) * i / steps) * box["height"])
        page.wait_for_timeout(seconds * 1000 / steps)
    page.mouse.up()


def test_a_slow_server_slows_the_live_rate_and_the_stroke_end_still_comes(browser, live_server):
    context, page = open_lab(browser, live_server, 1280, 900, "en", touch=False)
    try:
        page.add_init_script(TRACK_INK)
        page.reload()
        page.wait_for_selector("#digits-lab.ready")
        # a quick server: the pad asks every 150 ms while the pen is down
        draw_slowly(page, 0.5, 0.15, 0.85, 2.0)
        wait_for_answer(page, 1)
        fast = len(ink_requests(page))
        quick_interval = int(page.locator("#digits-lab").get_attribute("data-interval"))
        assert quick_interval < 500 and fast >= 5, f"only {fast} live answers in a 2 s stroke ({quick_interval} ms apart)"
        # the same stroke while every answer takes 600 ms: the page asks far less often …
        page.locator("#digits-clear").click()
        page.evaluate("window.__inkDelay = 600; window.__ink = []")
        draw_slowly(page, 0.5, 0.15, 0.85, 2.0)
        wait_for_answer(page, 1)  # … and the end of the stroke is answered, and is what the page shows
        slow = ink_requests(page)
        interval = int(page.locator("#digits-lab").get_attribute("data-interval"))
        assert interval >= 1000, f"the live rate did not drop: {interval} ms"
        assert len(slow) <= 5 and len(slow) < fast, f"{len(slow)} requests in a 2 s stroke to a server that takes 600 ms"
        assert page.locator(".digits-answer.main .digits-top").inner_text().strip() == "1"
        # the server is quick again: within a stroke or two, the rate comes back
        page.evaluate("window.__inkDelay = 0")
        for _ in range(2):
            page.locator("#digits-clear").click()
            draw_slowly(page, 0.5, 0.15, 0.85, 2.0)
            wait_for_answer(page, 1)
        assert int(page.locator("#digits-lab").get_attribute("data-interval")) <= max(600, quick_interval)
    finally:
        close(context)


def test_switching_models_mid_drawing_gets_the_new_cards_then_goes_live_again(browser, live_server):
    context, page = open_lab(browser, live_server, 1280, 900, "en", touch=False)
    try:
        page.add_init_script(TRACK_INK)
        page.reload()
        page.wait_for_selector("#digits-lab.ready")
        draw_with_mouse(page, SEVEN)
        wait_for_answer(page, 7)
        with page.expect_response(lambda r: r.url.endswith("/digits/predict")):  # new cards (titles) come from the fragment
            page.select_option("#digits-vs", "none")
        wait_for_answer(page, 7)
        assert page.locator(".digits-answer").count() == 1
        asked = len(ink_requests(page))
        page.locator("#digits-clear").click()
        assert page.locator(".digits-answer").count() == 1, "a cleared pad keeps the cards of the models chosen now"
        assert page.locator(".digits-answer.main .digits-top").inner_text().strip() == "?"
        draw_with_mouse(page, ONE_SMALL)
        wait_for_answer(page, 1)
        page.wait_for_function("n => window.__ink.length > n", arg=asked)  # after the switch the page draws live again
        assert "vs=none" in ink_requests(page)[-1]["url"]
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
