"""The gridworld lab in Chromium: static/js/rl.js gives the same Q table as app/nn/rl.py for the
same seed; editing by touch at 390 px updates the exact answer and the URL; a step writes out its
update; a reload replays the run; bad worlds are shown inline; the projector view; screenshots."""

import re

import pytest
from playwright.sync_api import expect

from app.labs.rl import PRESETS
from app.nn.rl import Gridworld, QLearner, q_learning
from tests.browser.test_neuron_browser import english_words
from tests.conftest import new_context, screenshot

pytestmark = pytest.mark.browser


def open_lab(page, url):
    page.goto(url)
    expect(page.locator("#rl-lab")).to_have_attribute("data-ready", "1")


@pytest.mark.parametrize("rows, params", [
    (PRESETS["lecture"], (-0.01, 0.9, 0.5, 0.2, 300, 1)),
    (PRESETS["cliff"], (-0.05, 0.95, 0.1, 0.3, 200, 42)),
    (PRESETS["maze"], (0.0, 0.8, 1.0, 0.0, 100, 4294967295)),
    (("S..#", ".#.G", "...X"), (-0.01, 0.9, 0.1, 0.2, 500, 1)),
])
def test_browser_q_learning_is_the_twin_of_python(page, live_server, rows, params):
    step_reward, gamma, alpha, epsilon, episodes, seed = params
    open_lab(page, live_server.url + "/rl")
    js = page.evaluate("([rows, p]) => RL.qLearning(rows, ...p)", [list(rows), list(params)])
    solution, agent = q_learning(Gridworld(rows, step_reward), gamma, alpha, epsilon, episodes, seed)
    assert js["steps"] == agent.steps
    assert js["returns"] == agent.returns  # exactly: same floats in the same order
    assert js["q"] == solution.q
    assert [tuple(c) for c in js["path"]] == solution.path()


def test_the_page_agent_matches_python_and_a_reload_replays_it(page, live_server):
    open_lab(page, live_server.url + "/rl?alpha=0.3&epsilon=0.1&seed=9")
    page.locator("#rl-fast").click()
    for _ in range(3):
        page.locator("#rl-step").click()
    steps = page.evaluate("RL.page.agent.steps")
    assert f"steps={steps}" in page.url and "seed=9" in page.url and "alpha=0.3" in page.url
    python = QLearner(Gridworld(PRESETS["lecture"], -0.01), gamma=0.9, alpha=0.3, epsilon=0.1, seed=9)
    for _ in range(steps):
        last = python.step()
    assert page.evaluate("RL.page.agent.q") == python.q
    # the update just made, with its numbers: Q(s, a) ← old + α × (r + γ × max Q′ − old) = new
    update = page.locator("#rl-update").inner_text()
    assert update.startswith("Q(s, ") and update.endswith(f"= {last.new_q:.3f}".replace("-", "−"))
    assert "0.30 × (" in update
    q_before = page.evaluate("RL.page.agent.q")
    counts = page.locator("#rl-counts").inner_text()
    page.reload()
    expect(page.locator("#rl-lab")).to_have_attribute("data-ready", "1")
    assert page.evaluate("RL.page.agent.q") == q_before
    assert page.locator("#rl-counts").inner_text() == counts
    page.locator("#rl-episode").click()  # a whole episode ends at a terminal or the limit
    assert page.evaluate("RL.page.agent.t") == 0
    assert int(page.locator("#rl-returns").get_attribute("data-episodes")) == len(python.returns) + 1


def tap_cell(page, i, j):
    box = page.locator("#rl-world").bounding_box()
    w, h = page.evaluate("[RL.page.world.width, RL.page.world.height]")
    page.touchscreen.tap(box["x"] + (j + 0.5) * box["width"] / w, box["y"] + (i + 0.5) * box["height"] / h)


def test_edit_by_touch_at_390_px(phone_page, live_server):
    page = phone_page
    open_lab(page, live_server.url + "/rl?grid=S...G&steps=0")
    page.locator("label.tool-wall").tap()
    tap_cell(page, 0, 2)
    expect(page.locator("#rl-exact-body")).to_have_attribute("data-grid", "S.#.G")
    assert "grid=S.%23.G" in page.url
    expect(page.locator("#rl-exact-note")).to_contain_text("從 S 走不到終點")
    assert page.evaluate("document.querySelector('#rl-step').disabled") is False
    page.locator("label.tool-goal").tap()
    tap_cell(page, 0, 1)  # a goal next to the start
    expect(page.locator("#rl-exact-body")).to_have_attribute("data-grid", "SG#.G")
    expect(page.locator("#rl-exact-note")).to_contain_text("走 1 步到終點，總獎勵 1")
    page.locator("#rl-step").tap()
    expect(page.locator("#rl-story")).to_contain_text("r =")
    page.locator("#rl-fast").tap()
    expect(page.locator("#rl-agree")).to_contain_text("完全一樣")
    page.locator("label.tool-look").tap()
    tap_cell(page, 0, 0)
    expect(page.locator("#rl-inspect .rl-qcell")).to_have_count(4)
    expect(page.locator("#rl-inspect .rl-qcell.best")).to_contain_text("右")
    expect(page.locator("#rl-inspect .rl-q-right .rl-qval")).to_have_text("1.000")
    # remove both goals: the lab says what is missing, and the agent cannot start
    page.locator("label.tool-empty").tap()
    tap_cell(page, 0, 1)
    tap_cell(page, 0, 4)
    expect(page.locator("#rl-error .error-box")).to_contain_text("沒有終點")
    expect(page.locator("#rl-step")).to_be_disabled()
    expect(page.locator("#rl-story")).to_contain_text("至少一個終點 G")
    page.locator("label.tool-goal").tap()
    tap_cell(page, 0, 4)
    expect(page.locator("#rl-error .error-box")).to_have_count(0)
    expect(page.locator("#rl-step")).to_be_enabled()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    small = page.evaluate("""[...document.querySelectorAll('#rl-lab button, #rl-lab .rl-tool, #rl-lab input[type=range], .example')]
        .filter(e => e.getBoundingClientRect().height < 44).map(e => e.id || e.className)""")
    assert small == []
    screenshot(page, "rl-phone-zh-TW")


def test_a_setting_starts_learning_again_and_goes_in_the_url(page, live_server):
    open_lab(page, live_server.url + "/rl")
    page.locator("#rl-fast").click()
    assert page.evaluate("RL.page.agent.steps") > 0
    page.locator("#rl-epsilon").fill("0.5")  # a range input: fill sets it and fires change
    expect(page.locator("#rl-epsilon-out")).to_have_text("0.5")
    assert page.evaluate("RL.page.agent.steps") == 0 and page.evaluate("RL.page.agent.epsilon") == 0.5
    expect(page).to_have_url(re.compile(r"epsilon=0\.5.*steps=0|steps=0.*epsilon=0\.5"))
    before = page.locator("#rl-exact-body").get_attribute("data-q")
    page.locator("#rl-gamma").fill("0.5")  # value iteration is asked again, with γ = 0.5
    expect(page).to_have_url(re.compile(r"gamma=0\.5"))
    expect(page.locator("#rl-exact-body")).not_to_have_attribute("data-q", before)
    page.go_back()  # the back button returns to γ = 0.9 (the page replays the address)
    expect(page.locator("#rl-gamma")).to_have_value("0.9")
    expect(page.locator("#rl-lab")).to_have_attribute("data-ready", "1")
    assert page.locator("#rl-exact-body").get_attribute("data-q") == before


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_projector_view_in_both_languages(browser, live_server, lang):
    context = new_context(browser, width=1920, height=1080)
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url},
                         {"name": "projector", "value": "1", "url": live_server.url}])
    page = context.new_page()
    try:
        open_lab(page, live_server.url + "/rl?grid=" + "_".join(PRESETS["cliff"]))
        page.locator("#rl-fast").click()
        page.locator("#rl-step").click()
        page.locator("label.tool-look").click()
        page.locator("#rl-world polygon[data-r='2'][data-c='3']").first.click()
        expect(page.locator("#rl-inspect .rl-qcell")).to_have_count(4)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        assert page.locator("#rl-world text.rl-q").count() > 0  # four numbers per cell when there is room
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.rl-qval')).fontSize)")
        assert size >= 40
        text = page.locator("body").inner_text()
        if lang == "zh-TW":
            assert english_words(text) - {"learning"} == set()
        else:
            assert "The exact answer: value iteration" in text
        screenshot(page, f"rl-projector-{lang}")
    finally:
        context.close()
