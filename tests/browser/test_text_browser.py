"""The text lab in a real browser against `playground serve`: write with the default model, move
the temperature slider (htmx swaps the poem and pushes the URL), design a poem model, and the job
page with its per-epoch lines. 390 px (phone, touch) and 1920 px (projector), both languages;
screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import pytest

from app.jobs import service
from app.jobs.tables import Job, utcnow
from app.db import session_scope
from app.ml.text_design import TextDesign
from app.settings import Settings
from tests.conftest import LiveServer, no_sideways_scroll, opened, screenshot

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def server(tmp_path_factory, shared):
    data_dir = tmp_path_factory.mktemp("text-live") / "data"
    s = LiveServer(data_dir)
    s.data_dir = data_dir
    yield s
    s.stop()


SIZES = {"phone": (390, 844, True), "projector": (1920, 1080, False)}


def open_page(browser, server, path, size, lang):
    width, height, touch = SIZES[size]
    return opened(browser, server, path, width=width, height=height, lang=lang, touch=touch,
                  projector=size == "projector")


def small_tap_targets(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('main button, main select, main input, main a.button, main a.pill')]
        .filter(e => e.offsetParent !== null && e.type !== 'hidden')
        .map(e => e.type === 'radio' ? e.closest('label') : e)  // a radio's tap target is its label
        .filter(e => e.getBoundingClientRect().height < 44)
        .map(e => e.id || e.name || e.textContent.trim().slice(0, 20))""")


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("size", ["phone", "projector"])
def test_the_generator_writes_and_the_temperature_slider_updates_it(browser, server, size, lang):
    with open_page(browser, server, "/text?prompt=床前明月&temperature=0&length=10", size, lang) as page:
        assert page.locator("#poem-written").inner_text().startswith("光，疑是地上霜")
        assert page.locator(".text-step").count() == 10
        no_sideways_scroll(page)
        assert small_tap_targets(page) == []
        screenshot(page, f"text-{size}-{lang}")
        # the slider: htmx fetches the fragment and pushes the state into the address
        page.locator("#text-temperature").fill("1.5")
        page.wait_for_url("**temperature=1.5**")
        page.wait_for_function("document.querySelector('#text-meta').textContent.includes('1.5')")
        assert page.locator("#temperature-demo .temp-col.chosen").count() == 1
        # an unknown character: the message in the page's language, the old poem stays
        page.locator("#text-prompt").fill("床前ABC")
        page.locator("#text-prompt").press("Enter")
        error = page.locator("#text-error .error-box")
        error.wait_for()
        assert "ABC" in error.inner_text()
        assert ("沒看過" if lang == "zh-TW" else "never seen") in error.inner_text()
        no_sideways_scroll(page)


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("size", ["phone", "projector"])
def test_the_design_page_counts_and_pushes_the_url(browser, server, size, lang):
    with open_page(browser, server, "/text/train", size, lang) as page:
        page.locator("label.seg-opt", has_text="GRU").click()
        page.wait_for_url("**cell=gru**")
        page.locator("#reveal-button").click()
        assert "GRU" in page.locator("#layer-table").inner_text()
        page.locator("#keras-code-box summary").click()
        assert "layers.GRU(128" in page.locator("#keras-code").inner_text()
        no_sideways_scroll(page)
        assert small_tap_targets(page) == []
        screenshot(page, f"text-train-{size}-{lang}")


@pytest.fixture(scope="module")
def text_job(server):
    """A finished text job in the live server's database, as a worker leaves it (lines per epoch)."""
    settings = Settings(data_dir=server.data_dir)
    design = TextDesign(units=64, epochs=3)
    job_id = service.new_job_id()
    history = [{"epoch": e, "loss": 7.0 - e, "accuracy": 0.1 * e, "seconds": 2.0} for e in (1, 2, 3)]
    samples = [{"epoch": 1, "text": "春，，，，"}, {"epoch": 2, "text": "春風不可見"}, {"epoch": 3, "text": "春眠不覺曉，處處聞啼鳥。"}]
    with session_scope(settings.database_url_resolved) as s:
        s.add(Job(id=job_id, kind="text", params=design.model_dump(), owner="someone", status="succeeded", created=utcnow(),
                  finished=utcnow(), progress={"stage": "done", "epoch": 3, "epochs": 3, "history": history,
                                               "batches": [{"x": e, "loss": 7.0 - e} for e in (1, 2, 3)], "samples": samples},
                  result={"loss": 4.0, "parameters": 1}))
    return job_id


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("size", ["phone", "projector"])
def test_the_job_page_shows_a_line_per_epoch(browser, server, text_job, size, lang):
    with open_page(browser, server, f"/train/jobs/{text_job}", size, lang) as page:
        lines = page.locator("#sample-lines li")
        assert lines.count() == 3 and "春眠不覺曉" in lines.nth(2).inner_text()
        assert page.locator("#use-in-text").get_attribute("href") == f"/text?model={text_job}"
        no_sideways_scroll(page)
        screenshot(page, f"text-job-{size}-{lang}")


@pytest.mark.parametrize("path", ["/text?length=30&temperature=1", "/text/train?cell=gru", "/text?prompt=床前ABC"])
def test_nothing_scrolls_sideways_at_360_px(browser, server, path):
    with opened(browser, server, path, width=360, height=740) as page:
        no_sideways_scroll(page)
