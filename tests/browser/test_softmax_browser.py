"""Softmax in Chromium: the lecture's numbers walked with "Next", the temperature slider by touch at
390 px, both languages, projector mode, screenshots."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_neuron_browser import english_words, htmx_settled
from tests.conftest import no_sideways_scroll, opened, screenshot

pytestmark = pytest.mark.browser


def test_walk_the_lecture_example(page, live_server):
    page.goto(live_server.url + "/softmax")
    for i in range(1, 5):
        page.locator("#step-next").click()
        expect(page.locator("#step-count")).to_have_text(f"第 {i} / 4 步")
    expect(page.locator("#softmax-sum")).to_have_text("10.911")
    expect(page.locator("#softmax-table .prob")).to_have_text(["0.61", "0.28", "0.11"])
    expect(page.locator("#softmax-loss")).to_have_text("0.49")
    assert page.url.endswith("/softmax?s=1.9&s=1.1&s=0.2&t=1&target=0&reveal=4")
    htmx_settled(page)
    page.locator("#target").select_option("2")  # the right answer is the least likely class: a big loss
    expect(page.locator("#softmax-loss")).to_have_text("2.19")


def test_temperature_by_touch_at_390_px(phone_page, live_server):
    page = phone_page
    page.goto(live_server.url + "/softmax?reveal=4")
    slider = page.locator("#t")
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    assert box["height"] >= 44
    page.touchscreen.tap(box["x"] + 2, box["y"] + box["height"] / 2)  # all the way left: T = 0.1
    expect(page.locator("#softmax-table .prob").first).to_have_text("1")  # nearly one-hot
    assert "t=0.1" in page.url
    page.locator("#s2").fill("99")
    page.locator("#s2").press("Enter")
    expect(page.locator("#softmax-error .error-box")).to_contain_text("太大了")  # |s| ≤ 50, inline
    page.locator("#s2").fill("2")
    page.locator("#s2").press("Enter")
    expect(page.locator("#softmax-error .error-box")).to_have_count(0)
    page.locator("#add-class").tap()
    expect(page.locator("#s4")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1


def test_no_english_on_the_chinese_page(page, live_server):
    page.goto(live_server.url + "/softmax?t=2&reveal=4")
    allowed = {"softmax", "rnn", "one", "hot", "log"}  # the names the lecture uses: softmax, RNN, one-hot, −log
    assert {w for w in english_words(page.locator("body").inner_text()) if w.lower() not in allowed} == set()


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("width", [390, 1920])
def test_screenshots(browser, live_server, lang, width):
    with opened(browser, live_server, "/softmax?t=1&reveal=4", width=width, height=1000, lang=lang,
                projector=width > 1000) as page:
        expect(page.locator("html")).to_have_attribute("lang", lang)
        no_sideways_scroll(page)
        screenshot(page, f"softmax-{width}-{lang}")
