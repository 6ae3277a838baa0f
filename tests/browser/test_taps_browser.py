"""Every tap shows its answer (issue 17), for the labs without such a check of their own: on a 390-px
phone by touch and on a 1920-px projector, in both languages, the control just used and what it
changed are both inside the viewport, below the sticky header (tests/browser/layout.py); after the
taps every control is still ≥ 44 px. (Nothing wider than 360 px is test_pages.py's, for every page;
the neuron, descent, conv, digits, photos and train labs check their taps in their own files; /rnn/memory's
knobs are number fields and a select, changed by typing, not by a tap.)

One browser context per screen and language walks all of them; a lab that fails does not hide the
next: the test lists every failure at the end."""

from __future__ import annotations

import pytest

from tests.browser.layout import LANGS, SCREENS, assert_on_screen, assert_tap_targets, layout_page, page_shot, settle, tap

pytestmark = pytest.mark.browser

# (page, the control, how many taps, what it changed, what must be true once it did)
TAPS = [
    ("/descent/three", "#three-next", 5, "#descent-lab .card.current", "#three-L-after"),
    ("/softmax", "#step-next", 4, "#softmax-steps .walk-step.current", "#softmax-loss"),
    ("/rnn", "#step-next", 3, "#rnn-steps .walk-step.current", "#rnn-steps .walk-step.current"),
    ("/fit", "#fit-step", 2, ".fit-readout", "#fit-steps[data-steps='2']"),
    ("/playground?dataset=xor&features=x1,x2&layers=4,2", "#pg-step", 2, "#pg-boundary", "#pg-epoch"),
    ("/gan", "#gan-d-step", 2, "#gan-plane", "#gan-steps[data-d='2']"),
    ("/gan/digits", "label.gan-pick:has(input[value='3'])", 1, "#gan-believed", "#gan-digits[data-digit='3']"),
    ("/rl", "#rl-step", 2, "#rl-story", "#rl-update:not(:empty)"),
    ("/text", "#write-button", 1, "#poem", "#poem-written"),
]
# A stroke on /conv/digit (a "7", as fractions of the pad), and where its answer shows.
SEVEN = [(0.28, 0.22), (0.50, 0.22), (0.72, 0.22), (0.60, 0.50), (0.48, 0.82)]


def draw(page, canvas: str, stroke, touch: bool | None = None):
    """One stroke: a finger through the DevTools protocol on a phone (Playwright's touchscreen only
    taps), the mouse on the projector."""
    touch = page.screen.touch if touch is None else touch
    box = page.locator(canvas).bounding_box()
    points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
    path = [points[0]] + [(x0 + (x1 - x0) * i / 8, y0 + (y1 - y0) * i / 8)
                          for (x0, y0), (x1, y1) in zip(points, points[1:]) for i in range(1, 9)]
    if touch:
        cdp = page.context.new_cdp_session(page)
        kinds = ["touchStart"] + ["touchMove"] * (len(path) - 1)
        for kind, (x, y) in zip(kinds, path):
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    else:
        page.mouse.move(*path[0])
        page.mouse.down()
        for x, y in path[1:]:
            page.mouse.move(x, y)
        page.mouse.up()


def try_taps(page, path, control, taps, result, done):
    page.goto(page.base + path)
    for _ in range(taps):
        tap(page, control)
        settle(page)
        assert_on_screen(page, control, result)
    page.wait_for_selector(done, state="attached")
    settle(page)
    assert_on_screen(page, control, result)  # once the answer is in: still both on screen
    page_shot(page, "taps-" + (path.split("?")[0].strip("/").replace("/", "-")))
    if page.screen.touch:
        assert_tap_targets(page)  # what the taps opened (a "continue" button, "again") is big enough too


def try_a_stroke(page):
    page.goto(page.base + "/conv/digit")
    page.wait_for_selector("#cnn-filters .fmap", timeout=60000)  # the CNN is loaded
    draw(page, "#cnn-pad canvas", SEVEN)
    page.wait_for_selector("#cnn-digit", timeout=60000)
    settle(page)
    page_shot(page, "taps-conv-digit")
    # on a phone the layers come below the pad; the answer is repeated under it
    assert_on_screen(page, "#cnn-pad canvas", "#cnn-quick .cnn-digit" if page.screen.touch else "#cnn-digit")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_every_tap_shows_its_answer(browser, live_server, screen, lang):
    failures = []
    with layout_page(browser, live_server, screen, lang) as page:
        page.base = live_server.url
        for path, control, taps, result, done in TAPS:
            try:
                try_taps(page, path, control, taps, result, done)
            except AssertionError as e:
                failures.append(f"{path}: {e}")
        try:
            try_a_stroke(page)
        except AssertionError as e:
            failures.append(f"/conv/digit: {e}")
    assert not failures, "\n".join(failures)
