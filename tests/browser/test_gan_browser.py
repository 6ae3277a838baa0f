"""The GAN lab in Chromium. /gan/digits: tap a digit at 390 px and the 16 fakes and the CNN's
readings change, the URL follows; the projector view in English. /gan (the 2-D GAN): D and G steps
and play by touch at 390 px until the fakes cover the ring (frame rate printed), the settings and
a drawn shape in the URL, slow motion, the projector in English; screenshots."""

import time

import pytest
from playwright.sync_api import expect

from tests.browser.test_neuron_browser import english_words
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


# ---- /gan: the 2-D GAN, trained in the browser ----

def dd(page, id_):
    value = page.locator(f"#{id_}").get_attribute("data-value")
    return float(value) if value else float("nan")


def step_counts(page):
    s = page.locator("#gan-steps")
    return int(s.get_attribute("data-d")), int(s.get_attribute("data-g"))


def test_plane_by_touch_at_390_px_learns_the_ring(phone_page, live_server):
    """One D step and one G step by tap, then play: the numbers move, the fakes reach the ring's
    modes within a minute, D is left near ½; the frame rate and steps per second are printed."""
    page = phone_page
    page.goto(live_server.url + "/gan")
    expect(page.locator("#gan-verdict")).to_have_attribute("data-verdict", "none")
    before = dd(page, "gan-d-loss")
    for _ in range(3):
        page.locator("#gan-d-step").tap()
    assert step_counts(page) == (3, 0) and dd(page, "gan-d-loss") < before  # D's steps lower D's loss
    expect(page.locator("#gan-turn")).to_contain_text("輪到 D")
    g_before = dd(page, "gan-g-loss")
    page.locator("#gan-g-step").tap()
    assert step_counts(page) == (3, 1) and dd(page, "gan-g-loss") < g_before  # G's step lowers G's loss
    expect(page.locator("#gan-turn")).to_contain_text("輪到 G")
    start = page.evaluate("ganLab.quality()")
    t0 = time.monotonic()
    page.locator("#gan-play").tap()
    expect(page.locator("#gan-play")).to_have_attribute("aria-pressed", "true")
    page.wait_for_function("ganLab.gan.gSteps > 1500 && ganLab.quality().fakeToReal < 0.08", timeout=60000, polling=250)
    seconds = time.monotonic() - t0
    g0, w0 = page.evaluate("ganLab.gan.gSteps + ganLab.gan.dSteps"), time.monotonic()
    f0 = page.evaluate("ganLab.frames")
    page.wait_for_timeout(4000)
    g1, f1, fps, sps = page.evaluate("[ganLab.gan.gSteps + ganLab.gan.dSteps, ganLab.frames, ganLab.fps, ganLab.stepsPerSecond]")
    wall = time.monotonic() - w0
    page.locator("#gan-play").tap()
    expect(page.locator("#gan-play")).to_have_attribute("aria-pressed", "false")
    end = page.evaluate("ganLab.quality()")
    print(f"/gan ring at 390 px: fakes on the ring (fake→real {start['fakeToReal']:.3f} → {end['fakeToReal']:.3f}, "
          f"real→fake {start['realToFake']:.3f} → {end['realToFake']:.3f}) after {seconds:.1f} s of play; "
          f"{(f1 - f0) / wall:.0f} frames/s and {(g1 - g0) / wall:.0f} steps/s on the wall clock "
          f"(page's own estimate {fps:.0f} fps, {sps:.0f} steps/s)")
    assert end["realToFake"] < 0.1  # the whole ring is covered, not one mode
    assert 0.35 < dd(page, "gan-d-real") < 0.75 and 0.3 < dd(page, "gan-d-fake") < 0.7  # D left guessing
    assert page.locator("#gan-verdict").get_attribute("data-verdict") in ("even", "close")
    assert (f1 - f0) / wall > 5  # it animates (a loose bound: the machine may be busy)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    for sel in ("#gan-play", "#gan-d-step", "#gan-g-step", "#gan-reset", "label:has(#gan-slow) span",
                "label:has(#dist-line) span", "#gan-dlr", "#gan-seed"):
        assert page.locator(sel).bounding_box()["height"] >= 44, sel
    screenshot(page, "gan-plane-ring-390-zh-TW")
    page.locator("#gan-reset").tap()
    assert step_counts(page) == (0, 0)
    expect(page.locator("#gan-verdict")).to_have_attribute("data-verdict", "none")


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_the_plane_and_its_buttons_fit_one_phone_screen(browser, live_server, lang):
    """At 390 × 844, as the page opens: ▶, D step, G step and the whole plane are on the screen at
    once, so a tap on ▶ shows the points move."""
    context = new_context(browser, width=390, height=844, touch=True)
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto(live_server.url + "/gan")
        for sel in ("#gan-play", "#gan-d-step", "#gan-g-step", "#gan-plane"):
            box = page.locator(sel).bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= 844, f"{sel} is not on the first screen ({lang}): {box}"
        assert page.locator("#gan-plane").bounding_box()["width"] >= 300
        page.locator("#gan-play").tap()
        page.wait_for_function("ganLab.gan.gSteps > 20")
        assert page.evaluate("window.scrollY") == 0  # nothing scrolled: the points moved in view
        page.locator("#gan-play").tap()
        screenshot(page.locator("html").page, f"gan-plane-first-screen-390-{lang}")
    finally:
        context.close()


def test_settings_round_trip_through_the_url(phone_page, live_server):
    page = phone_page
    page.goto(live_server.url + "/gan")
    page.locator("label:has(#dist-clusters)").tap()
    page.locator("#gan-dlr").select_option("0.003")
    page.locator("#gan-glr").select_option("0.03")
    page.locator("#gan-dsteps").select_option("3")
    page.locator("#gan-opt").select_option("sgd")
    page.locator("#gan-seed").fill("7")
    page.locator("#gan-seed").dispatch_event("change")
    for part in ("dist=clusters", "dlr=0.003", "glr=0.03", "dsteps=3", "opt=sgd", "seed=7"):
        assert part in page.url, part
    first = page.evaluate("JSON.stringify(ganLab.score.fake.slice(0, 3).map(p => Array.from(p)))")
    page.reload()
    cfg = page.evaluate("ganLab.cfg")
    assert (cfg["dist"], cfg["dlr"], cfg["glr"], cfg["dsteps"], cfg["opt"], cfg["seed"]) == ("clusters", 0.003, 0.03, 3, "sgd", 7)
    assert page.evaluate("JSON.stringify(ganLab.score.fake.slice(0, 3).map(p => Array.from(p)))") == first  # same seed, same G
    page.locator("label:has(#gan-map)").tap()  # G's map of the noise square
    assert "map=1" in page.url and page.evaluate("ganLab.cfg.map")
    page.locator("#gan-d-step").tap()  # the schedule: 3 D steps, then one G step
    page.locator("label:has(#gan-slow)").tap()
    assert "slow=1" in page.url
    page.locator("#gan-play").tap()
    page.wait_for_function("ganLab.gan.gSteps >= 1", timeout=10000)
    page.locator("#gan-play").tap()
    d, g = step_counts(page)
    assert g >= 1 and 4 <= d <= 4 + 3 * g and d + g < 12  # slow motion: one step at a time
    expect(page.locator("#gan-turn")).not_to_be_empty()
    response = page.goto(live_server.url + "/gan?dist=moon&dsteps=9")
    assert response.status == 422  # a mistyped link still opens the lab, and says what was wrong
    expect(page.locator("#gan-error")).to_contain_text("ring / line / clusters / drawn")
    assert page.evaluate("ganLab.cfg.dist") == "ring"


def test_the_words_say_who_is_winning(phone_page, live_server):
    page = phone_page
    page.goto(live_server.url + "/gan?dlr=0.1&seed=2")
    for _ in range(12):  # D alone learns: it tells real from fake
        page.locator("#gan-d-step").tap()
    expect(page.locator("#gan-verdict")).to_have_attribute("data-verdict", "d")
    expect(page.locator("#gan-verdict")).to_contain_text("鑑別器領先")
    assert dd(page, "gan-d-real") - dd(page, "gan-d-fake") > 0.3
    verdicts = page.evaluate("""[GAN.verdict(0.9, 0.1, 5), GAN.verdict(0.3, 0.7, 5), GAN.verdict(0.52, 0.49, 5),
                                 GAN.verdict(0.7, 0.5, 5), GAN.verdict(0.9, 0.9, 5), GAN.verdict(0.9, 0.1, 0)]""")
    assert verdicts == ["d", "g", "even", "close", "close", "none"]


def test_draw_a_shape_by_touch_and_by_mouse(browser, live_server):
    context = new_context(browser, width=390, height=844, touch=True)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/gan?dist=drawn")
        expect(page.locator("#gan-play")).to_be_disabled()
        canvas = page.locator("#gan-plane")
        for fx, fy in [(0.2, 0.2), (0.5, 0.15), (0.8, 0.2), (0.5, 0.8), (0.3, 0.6)]:
            canvas.scroll_into_view_if_needed()
            box = canvas.bounding_box()
            page.touchscreen.tap(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        pts = page.url.split("pts=")[1].split("&")[0].split(";")
        assert len(pts) == 5 and pts[0] == "-0.60,0.60"
        expect(page.locator("#gan-play")).to_be_enabled()
        page.locator("#gan-play").tap()
        page.wait_for_function("ganLab.gan.gSteps > 50", timeout=20000)
        page.locator("#gan-play").tap()
        assert page.evaluate("ganLab.gan.dist") == "drawn" and len(page.evaluate("ganLab.gan.drawn")) == 5
        page.reload()
        assert len(page.evaluate("ganLab.gan.drawn")) == 5  # the shape is in the address
        page.locator("#gan-clear").tap()
        assert "pts=" not in page.url
        expect(page.locator("#gan-play")).to_be_disabled()
    finally:
        context.close()
    context = new_context(browser, width=1280, height=900)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/gan?dist=drawn")
        box = page.locator("#gan-plane").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.5)
        page.mouse.down()
        for k in range(1, 21):  # a stroke across the plane
            page.mouse.move(box["x"] + box["width"] * (0.2 + 0.03 * k), box["y"] + box["height"] * (0.5 - 0.01 * k))
        page.mouse.up()
        n = len(page.evaluate("ganLab.gan.drawn"))
        assert 10 <= n <= 21, n
        screenshot(page, "gan-plane-drawn-1280")
    finally:
        context.close()


def test_plane_projector_in_english(browser, live_server):
    context = new_context(browser, width=1920, height=1080)
    context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url},
                         {"name": "projector", "value": "1", "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto(live_server.url + "/gan?dist=line&seed=3")
        for sel in ("#gan-play", "#gan-d-step", "#gan-g-step", "#gan-plane", "#gan-verdict"):  # all on the first screen
            box = page.locator(sel).bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= 1080, f"{sel} is not on the projector's screen: {box}"
        expect(page.locator("#gan-verdict")).to_contain_text("Not started")
        page.locator("#gan-d-step").click()
        expect(page.locator("#gan-turn")).to_contain_text("D's turn")
        page.locator("#gan-play").click()
        page.wait_for_function("ganLab.gan.gSteps > 200", timeout=20000)
        page.locator("#gan-play").click()
        assert page.locator("#gan-verdict").get_attribute("data-verdict") != "none"
        assert english_words(page.locator("#gan-verdict").inner_text())  # in English
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        width = page.locator("#gan-plane").bounding_box()["width"]
        assert width >= 600  # big enough for the back row of a lecture hall
        page.locator("#gan-to-digits").click()
        assert page.url.endswith("/gan/digits")
        page.locator("#gan-to-plane").click()
        assert page.url.endswith("/gan")
        screenshot(page, "gan-plane-projector-en")
    finally:
        context.close()
