"""Every page, as a phone and as a projector shows it, in both languages.

Checks what a person would notice first: the page loads, nothing runs off the side of a
360–390 px phone, `<html lang>` is right, nothing is fetched from another host (the context
fixture's guard); and it saves a screenshot of each for a person to look at.
"""

import pytest

from app.labs import all_labs
from tests.browser.layout import PHONE, PROJECTOR, assert_fits_360, assert_tap_targets
from tests.conftest import new_context, screenshot

pytestmark = pytest.mark.browser

PATHS = ["/"] + [lab.path for lab in all_labs()] + ["/gan/digits"]  # a lab's second page
SIZES = {"phone": (390, 844), "projector": (1920, 1080)}


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_fits_and_speaks_the_language(browser, live_server, lang, size):
    width, height = SIZES[size]
    context = new_context(browser, width=width, height=height, touch=size == "phone", bypass_csp=False)
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url},
                         {"name": "projector", "value": "1" if size == "projector" else "0", "url": live_server.url}])
    page = context.new_page()
    try:
        for path in PATHS:
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            assert page.locator("html").get_attribute("lang") == lang
            # (a) nothing scrolls sideways (at 360 px on a phone) (b) every control ≥ 44 px
            page.screen = PHONE if size == "phone" else PROJECTOR
            assert_fits_360(page)
            if size == "phone":
                assert_tap_targets(page)
            if path == "/" and size == "phone":
                header = page.locator(".topbar").bounding_box()["height"]
                assert header <= 70, f"the header takes {header:.0f} px: two rows?"  # one row, in English too
            name = path.strip("/").replace("/", "-") or "home"
            screenshot(page, f"{name}-{size}-{lang}")
    finally:
        external = context.guard.external
        context.close()
    assert not external, f"pages requested other hosts: {external}"


def test_language_switch_and_projector_toggle_by_touch(browser, live_server):
    context = new_context(browser, width=360, height=740, touch=True, bypass_csp=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        assert page.locator("html").get_attribute("lang") == "zh-TW"
        page.locator("#lang-switch").tap()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator("h1").first.inner_text() == "Function-Learning Machine"
        page.locator("#projector-switch").tap()
        page.wait_for_load_state()
        assert "projector" in (page.locator("html").get_attribute("class") or "")
        page.reload()  # remembered
        assert page.locator("html").get_attribute("lang") == "en"
        assert "projector" in (page.locator("html").get_attribute("class") or "")
    finally:
        context.close()
