"""The RNN lab in Chromium: walk one time step by "Next", reverse the order, the URL and back button,
touch at 390 px and the projector at 1920 px in both languages, the memory chart; screenshots."""

import pytest
from playwright.sync_api import expect

from tests.conftest import new_context, screenshot

pytestmark = pytest.mark.browser


def settled(page):
    page.wait_for_function("document.querySelectorAll('.htmx-request, .htmx-settling, .htmx-swapping').length === 0")


def test_walk_the_first_time_step_and_hand_the_state_on(page, live_server):
    page.goto(live_server.url + "/rnn")
    expect(page.locator("#step-count")).to_contain_text("第 0 / 12 步")
    for i in range(1, 5):
        page.locator("#step-next").click()
        expect(page.locator("#step-count")).to_contain_text(f"第 {i} / 12 步")
        settled(page)
    expect(page.locator("#h1-1")).to_have_text("0.762")  # tanh(1·1 + 0.5·0)
    expect(page.locator(".rnn-handover")).to_contain_text("t = 2")
    page.locator("#step-next").click()  # t = 2 starts with h₁ as its memory
    expect(page.locator(".walk-step.done").first).to_contain_text("0.762")
    assert page.url.endswith("reveal=5")
    page.go_back()
    expect(page.locator("#step-count")).to_contain_text("第 4 / 12 步")


def test_reversing_the_order_changes_the_final_state(page, live_server):
    page.goto(live_server.url + "/rnn?reveal=12")
    before = page.locator("#order-given td").all_inner_texts()
    predicted = page.locator("#order-reversed td").all_inner_texts()
    assert before != predicted
    page.locator("#reverse").click()
    expect(page.locator("#order-given td").first).to_have_text(predicted[0])
    assert "x2=1&x2=1&x2=0" in page.url


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("width", [390, 1920])
def test_pages_fit_phone_and_projector(browser, live_server, lang, width):
    phone = width < 600
    context = new_context(browser, width=width, height=844 if phone else 1080, lang=lang, touch=phone)
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url},
                         {"name": "projector", "value": "0" if phone else "1", "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto(live_server.url + "/rnn?reveal=6")
        if phone:
            page.locator("#step-next").tap()
            expect(page.locator("#step-count")).to_contain_text("7")
            box = page.locator("#step-next").bounding_box()
            assert box["height"] >= 44
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        screenshot(page, f"rnn-{width}-{lang}")
        page.goto(live_server.url + "/rnn/memory")
        expect(page.locator("#memory-chart polyline")).to_have_count(3)
        page.locator("#scale").fill("2")
        page.locator("#scale").press("Enter")
        page.wait_for_url("**scale=2**")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        screenshot(page, f"rnn-memory-{width}-{lang}")
    finally:
        external = context.guard.external
        context.close()
    assert not external
