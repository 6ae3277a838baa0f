"""The gradient-descent lab in Chromium: runs to convergence and to divergence, the URL and back
button, touch at 390 px, bad input shown inline, the three-variable view, no English on the zh-TW
pages, screenshots."""

import pytest
from playwright.sync_api import expect

from tests.browser.layout import LANGS, SCREENS, assert_fits_360, assert_tap_shows, assert_tap_targets, layout_page
from tests.browser.test_neuron_browser import english_words
from tests.conftest import new_context, screenshot

pytestmark = pytest.mark.browser


def verdict(page):
    return page.locator("#descent-verdict")


def test_run_to_convergence_then_divergence(page, live_server):
    page.goto(live_server.url + "/descent")
    page.locator("#loss-lecture").click()  # L(w₁) = 4w₁², its defaults: w₀ = 1, η = 0.05
    expect(page.locator("#loss-formula")).to_contain_text("L(w₁) = 4w₁²")
    expect(verdict(page)).to_have_attribute("data-verdict", "start")
    page.locator("#descent-step").click()
    expect(page.locator("#descent-count")).to_have_text("已走 1 步")
    expect(page.locator("#now-w")).to_have_text("0.6")  # 1 − 0.05 × 8
    expect(page.locator("#descent-update")).to_have_text("w₂ = 0.6 − 0.05 × 4.8 = 0.36")
    page.locator("#n").fill("100")
    page.locator("#descent-run").click()  # the change of N and the click both reach the server
    expect(page.locator("#descent-count")).to_have_text("已走 101 步")
    expect(verdict(page)).to_have_attribute("data-verdict", "converged")
    expect(verdict(page)).to_contain_text("收斂了")
    # η too large: 0.3 > 1/4 diverges (w ← w − 0.3·8w = −1.4w)
    page.locator("#eta").fill("0.3")
    page.locator("#descent-reset").click()
    expect(page.locator("#descent-count")).to_have_text("已走 0 步")
    page.locator("#n").fill("8")
    page.locator("#descent-run").click()
    expect(verdict(page)).to_have_attribute("data-verdict", "diverged")
    expect(verdict(page)).to_contain_text("發散了")
    assert "eta=0.3&steps=8" in page.url
    # between the two: 0.125 < η = 0.2 < 0.25 overshoots back and forth
    page.locator("#eta").fill("0.2")
    page.locator("#eta").press("Enter")
    expect(verdict(page)).to_have_attribute("data-verdict", "oscillating")
    page.go_back()  # the back button returns to the diverging run
    expect(verdict(page)).to_have_attribute("data-verdict", "diverged")
    expect(page.locator("#eta")).to_have_value("0.3")


def test_stuck_in_a_local_minimum(page, live_server):
    page.goto(live_server.url + "/descent?loss=two_minima")
    page.locator("#n").fill("100")
    page.locator("#descent-run").click()
    expect(verdict(page)).to_have_attribute("data-verdict", "stuck_in_local_minimum")
    assert page.locator("#loss-chart polyline.path-line").count() == 1
    assert page.locator("#loss-chart line.tangent").count() == 1


def test_by_touch_at_390_px_with_bad_input_inline(phone_page, live_server):
    page = phone_page
    page.goto(live_server.url + "/descent")
    for k in (1, 2, 3):
        page.locator("#descent-step").tap()
        expect(page.locator("#descent-count")).to_have_text(f"已走 {k} 步")
    page.locator("#descent-back").tap()
    expect(page.locator("#descent-count")).to_have_text("已走 2 步")
    page.locator("[data-example=diverged]").tap()  # a "try this" example: η = 1.1 on (w − 2)² + 1
    expect(verdict(page)).to_have_attribute("data-verdict", "diverged")
    page.locator("#eta").fill("0")
    page.locator("#eta").press("Enter")
    error = page.locator("#descent-error .error-box")
    expect(error).to_contain_text("「學習率 η」要大於 0")
    expect(verdict(page)).to_have_attribute("data-verdict", "diverged")  # the last good run stays
    page.locator("#eta").fill("0.1")
    page.locator("#eta").press("Enter")
    expect(verdict(page)).not_to_have_attribute("data-verdict", "diverged")
    expect(error).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1


def test_three_variables_one_partial_derivative_at_a_time(page, live_server):
    page.goto(live_server.url + "/descent")
    page.locator("a[href='/descent/three']").click()
    expect(page.locator("#three-formula")).to_contain_text("(b₁ + 2w₁ − w₂ − 3)²")
    expected = [("#partial-w1", "= 8"), ("#partial-w2", "= −4"), ("#partial-b1", "= 4"),
                ("#three-gradient", "(8, −4, 4)"), ("#three-update", "= (0.2, −0.6, 1.6)")]
    for selector, text in expected:
        page.locator("#three-next").click()
        expect(page.locator(selector)).to_contain_text(text)
    expect(page.locator("#three-L-after")).to_have_text("0.16")  # L: 4 → 0.16
    page.locator("#three-continue").click()
    expect(page.locator("#w1")).to_have_value("0.2")
    assert "w1=0.2&w2=-0.6&b1=1.6" in page.url


def test_no_english_on_the_chinese_pages(page, live_server):
    page.goto(live_server.url + "/descent?loss=lecture&eta=0.2&steps=5")
    page.locator("#lang-switch").click()
    expect(page.locator("h1")).to_have_text("Gradient descent")
    assert len(english_words(page.locator("body").inner_text())) > 20  # the check below can see English
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-TW")
    urls = ["/descent?loss=lecture&eta=0.2&steps=5", "/descent?loss=two_minima&steps=300",
            "/descent?loss=quadratic&eta=1.1&steps=20", "/descent?loss=two_minima&w0=0&steps=3",
            "/descent?loss=quadratic&steps=0", "/descent?loss=quadratic&steps=3", "/descent/three?reveal=5",
            "/descent?loss=quadratic&w0=-2&eta=0.1&steps=100"]
    for url in urls:
        page.goto(live_server.url + url)
        assert english_words(page.locator("body").inner_text()) == set(), url


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("width", [390, 1920])
def test_screenshots(browser, live_server, lang, width):
    context = new_context(browser, width=width, height=900, lang=lang, touch=width < 500)
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    page = context.new_page()
    try:
        for path, name in (("/descent?loss=lecture&w0=1&eta=0.2&steps=6", "descent"),
                           ("/descent/three?reveal=5", "descent-three")):
            page.goto(live_server.url + path)
            expect(page.locator("html")).to_have_attribute("lang", lang)
            assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
            screenshot(page, f"{name}-{width}-{lang}")
    finally:
        external = context.guard.external
        context.close()
    assert not external


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_step_and_the_chart_are_on_screen_together(browser, live_server, screen, lang):
    with layout_page(browser, live_server, screen, lang) as page:
        page.goto(live_server.url + "/descent")
        assert_fits_360(page)
        assert_tap_targets(page)
        for _ in range(2):
            assert_tap_shows(page, "#descent-step", "#descent-chart-card", shot="descent-step")
        sizes = page.locator("svg.chart text").evaluate_all("ts => ts.map(t => t.getBoundingClientRect().height)")
        assert min(sizes) >= 12, f"axis labels {min(sizes):.1f} px high"
