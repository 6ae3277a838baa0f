"""The one-neuron lab in Chromium: the lecture's example walked to 8 one "Next" at a time, the URL
and back button, touch at 390 px, bad input shown inline, no English on the zh-TW page, screenshots."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.layout import (LANGS, SCREENS, assert_fits_360, assert_on_screen, assert_tap_shows,
                                  assert_tap_targets, layout_page, page_shot, settle)
from tests.conftest import no_sideways_scroll, opened, screenshot

pytestmark = pytest.mark.browser

# Words of 3+ Latin letters allowed on a zh-TW page: names of math functions, and the switch to English.
ALLOWED_LATIN = {"relu", "tanh", "sigmoid", "gaussian", "max", "api", "english"}


def english_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z]{3,}", text) if w.lower() not in ALLOWED_LATIN}


def test_walk_the_lecture_example_to_8(page, live_server):
    page.goto(live_server.url + "/neuron")
    expect(page.locator("#step-count")).to_have_text("第 0 / 5 步")
    expected = ["1 × 1 = 1", "2 × 3 = 6", "1 + 6 = 7", "7 + 1 = 8", "ReLU(8) = 8"]
    for i, text in enumerate(expected, start=1):
        page.locator("#step-next").click()
        expect(page.locator("#step-count")).to_have_text(f"第 {i} / 5 步")
        current = page.locator(".walk-step.current")
        expect(current).to_contain_text(text)  # each step shows its numbers, and only one step is current
    expect(page.locator("#neuron-output")).to_have_text("8")
    expect(page.locator("#step-next")).to_be_disabled()
    assert page.url.endswith("/neuron?x=1&x=3&w=1&w=2&b=1&activation=relu&reveal=5")
    assert page.locator("#phi-chart circle.dot").count() == 1  # the point (8, 8) on the ReLU plot
    # the back button walks back through the steps, and a reload keeps the state
    page.go_back()
    expect(page.locator("#step-count")).to_have_text("第 4 / 5 步")
    page.reload()
    expect(page.locator("#step-count")).to_have_text("第 4 / 5 步")


def htmx_settled(page):
    """A presenter presses the next key once the last answer is on screen (htmx swapped and settled)."""
    page.wait_for_function("document.querySelectorAll('.htmx-request, .htmx-settling, .htmx-swapping').length === 0")


def test_presenter_remote_keys(page, live_server):
    page.goto(live_server.url + "/neuron")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#step-count")).to_have_text("第 1 / 5 步")
    htmx_settled(page)
    page.keyboard.press("PageDown")
    expect(page.locator("#step-count")).to_have_text("第 2 / 5 步")
    htmx_settled(page)
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#step-count")).to_have_text("第 1 / 5 步")
    page.locator("#b").focus()
    page.keyboard.press("ArrowRight")  # inside a number field the arrows belong to the field
    page.wait_for_timeout(300)
    expect(page.locator("#step-count")).to_have_text("第 1 / 5 步")


def test_show_all_then_change_numbers(page, live_server):
    page.goto(live_server.url + "/neuron")
    page.locator("#step-all").click()
    expect(page.locator("#neuron-output")).to_have_text("8")
    page.locator("#b").fill("-10")
    page.locator("#b").press("Enter")  # Enter recomputes (and does not press "Add an input")
    expect(page.locator("#neuron-output")).to_have_text("0")  # ReLU(−3) = 0
    assert page.locator("#x3").count() == 0
    assert "b=-10" in page.url
    page.locator("#activation").select_option("linear")
    expect(page.locator("#neuron-output")).to_have_text("−3")


def test_by_touch_at_390_px_with_bad_input_inline(phone_page, live_server):
    page = phone_page
    page.goto(live_server.url + "/neuron")
    page.locator("#add-input").tap()
    expect(page.locator("#x3")).to_be_visible()
    page.locator("#step-all").tap()
    expect(page.locator("#step-count")).to_have_text("第 6 / 6 步")
    expect(page.locator("#neuron-output")).to_have_text("9")  # 1 + 6 + 1·1 + 1
    page.locator("#w1").fill("5000")
    page.locator("#w1").press("Enter")
    error = page.locator("#neuron-error .error-box")
    expect(error).to_contain_text("太大了")  # inline, in the page's language
    expect(page.locator("#neuron-output")).to_have_text("9")  # the last good answer stays
    page.locator("#w1").fill("2")
    page.locator("#w1").press("Enter")
    expect(page.locator("#neuron-output")).to_have_text("10")  # the page keeps working…
    expect(error).to_have_count(0)  # …and the error is gone
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1


def test_no_english_on_the_chinese_page(page, live_server):
    page.goto(live_server.url + "/neuron?activation=gaussian&reveal=5")
    page.locator("#lang-switch").click()  # to English…
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("One neuron")
    assert len(english_words(page.locator("body").inner_text())) > 20  # the check below can see English
    page.locator("#lang-switch").click()  # …and back
    expect(page.locator("html")).to_have_attribute("lang", "zh-TW")
    assert "reveal=5" in page.url  # the switch keeps the lab's state
    for url in ("/neuron?activation=gaussian&reveal=5", "/neuron?x=1&x=2&x=3&w=1&w=1&w=1&activation=sigmoid&reveal=6"):
        page.goto(live_server.url + url)
        assert english_words(page.locator("body").inner_text()) == set(), url
        page.locator("#step-back").click()
        expect(page.locator(".walk-step.current")).to_have_count(1)
        assert english_words(page.locator("body").inner_text()) == set(), url


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("width", [390, 1920])
def test_screenshots(browser, live_server, lang, width):
    with opened(browser, live_server, "/neuron?reveal=4", width=width, height=900, lang=lang) as page:
        expect(page.locator("html")).to_have_attribute("lang", lang)
        no_sideways_scroll(page)
        screenshot(page, f"neuron-{width}-{lang}")


@pytest.mark.parametrize("width, height, lang, words", [(390, 844, "zh-TW", "「輸入 x₁」太大了"),
                                                        (1920, 1080, "en", "“input x₁” is too large")])
def test_a_number_out_of_range_is_named_as_its_box_is_labelled(browser, live_server, width, height, lang, words):
    """The message names x₁, as the box is labelled, not x[0]."""
    with opened(browser, live_server, "/neuron", width=width, height=height, lang=lang) as page:
        box = page.locator("input[name=x]").first
        box.fill("5000")
        box.press("Tab")
        error = page.locator("#neuron-error .error-box")
        error.wait_for()
        assert words in error.inner_text() and "[0]" not in error.inner_text()
        no_sideways_scroll(page)
        screenshot(page, f"neuron-error-x1-{width}-{lang}")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_next_and_the_step_it_shows_are_on_screen_together(browser, live_server, screen, lang):
    with layout_page(browser, live_server, screen, lang) as page:
        page.goto(live_server.url + "/neuron?x=1&x=3&w=0.731&w=2&b=1&activation=sigmoid")
        assert_fits_360(page)
        assert_tap_targets(page)
        if screen.projector:
            assert_on_screen(page, "#neuron-steps")  # the arithmetic is above the fold, beside the numbers
        for _ in range(3):
            assert_tap_shows(page, "#step-next", ".walk-step.current", shot="neuron-next")
        page.locator("#step-all").click()
        settle(page)
        # the output fits inside its circle (r = 32 in the diagram's units)
        width = page.locator("svg.neuron-diagram text.node-text.big").last.evaluate("t => t.getBBox().width")
        assert width <= 64, f"output value {width} units wide overflows its circle"
        # diagram labels are legible: at least 12 CSS px on screen
        sizes = page.locator("svg.neuron-diagram .node-name").evaluate_all(
            "ts => ts.map(t => t.getBoundingClientRect().height)")
        assert min(sizes) >= 12, sizes
        page_shot(page, "neuron-all")
