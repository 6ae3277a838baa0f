"""The digit GAN page in Chromium: tap a digit at 390 px and the 16 fakes and the CNN's readings
change, the URL follows; the projector view in English; screenshots."""

import pytest
from playwright.sync_api import expect

from tests.conftest import new_context, screenshot

pytestmark = pytest.mark.browser


def test_pick_a_digit_by_touch(phone_page, live_server):
    page = phone_page
    page.goto(live_server.url + "/gan/digits?digit=3&seed=1")
    expect(page.locator("#gan-digits")).to_have_attribute("data-digit", "3")
    first = page.locator(".gan-tile img").first.get_attribute("src")
    page.locator(".gan-pick", has_text="7").tap()
    expect(page.locator("#gan-digits")).to_have_attribute("data-digit", "7")
    assert "digit=7" in page.url
    assert page.locator(".gan-tile img").count() == 16
    assert page.locator(".gan-tile img").first.get_attribute("src") != first
    expect(page.locator("#gan-believed")).to_contain_text("讀成 7")
    assert int(page.locator("#gan-digits").get_attribute("data-believed")) >= 12  # most fakes pass as a 7
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    small = page.evaluate("[...document.querySelectorAll('.gan-pick span, #gan-train')].filter(e => e.getBoundingClientRect().height < 44).length")
    assert small == 0
    screenshot(page, "gan-digits-phone-zh-TW")


def test_projector_in_english(browser, live_server):
    context = new_context(browser, width=1920, height=1080)
    context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url},
                         {"name": "projector", "value": "1", "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto(live_server.url + "/gan/digits?digit=0&seed=5")
        expect(page.locator("#gan-believed")).to_contain_text("as a 0")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        screenshot(page, "gan-digits-projector-en")
    finally:
        context.close()
