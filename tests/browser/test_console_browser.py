"""The console stays clean in normal use (issue 17): a student walks the main labs under their real
CSP — draws a digit, steps the neuron and gradient descent, uploads a real photo and then a PDF
renamed .jpg, steps softmax and the RNN, trains the curve fit — and the browser logs no error and
no uncaught exception. Chrome logs every 4xx/5xx answer as an error ("Failed to load resource"), so
this also checks that normal use, mistakes included, stays free of refused requests: the pages
check what they can before they ask (photos.js reads a file's first bytes; number fields carry the
server's bounds), and the server keeps its 4xx for what gets through."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_taps_browser import draw
from tests.browser.layout import PHONE
from tests.conftest import new_context

pytestmark = pytest.mark.browser

SEVEN = [(0.28, 0.22), (0.50, 0.22), (0.72, 0.22), (0.60, 0.50), (0.48, 0.82)]
# 4xx/5xx a learner can still cause in normal use, by name: none (photos.js refuses a PDF itself).
ALLOWED: list[str] = []


def walk(page, base, shared, tmp_path):
    page.goto(base + "/digits")
    page.wait_for_selector("#digits-lab.ready")
    draw(page, "#digit-pad canvas", SEVEN, touch=True)
    expect(page.locator(".digits-answer.main .digits-top")).to_have_text("7", timeout=30000)

    page.goto(base + "/neuron")
    for k in (1, 2, 3):
        page.locator("#step-next").tap()
        expect(page.locator("#neuron-steps .walk-step.current")).to_have_attribute("data-stage", str(k))

    page.goto(base + "/descent")
    page.locator("#descent-step").tap()
    expect(page.locator("#descent-count")).to_contain_text("1")
    page.locator("#eta").fill("0")  # a mistake: the field says so itself (min), nothing is refused
    page.locator("#descent-step").tap()

    page.goto(base + "/photos")
    page.set_input_files("#photos-file", str(shared / "photos" / "panda.jpg"))
    expect(page.locator("#photos-result .photos-top1")).to_be_visible(timeout=60000)
    fake = tmp_path / "holiday.jpg"
    fake.write_bytes(b"%PDF-1.7\n" + b"0" * 2000)
    page.set_input_files("#photos-file", str(fake))
    expect(page.locator("#photos-result .error-box")).to_contain_text("PDF")

    page.goto(base + "/softmax")
    for _ in range(4):
        page.locator("#step-next").tap()
    expect(page.locator("#softmax-loss")).to_be_visible()
    page.locator("#t").fill("2.5")
    page.locator("#t").dispatch_event("change")
    expect(page.locator("#t-value")).to_have_text("2.5")

    page.goto(base + "/rnn")
    for _ in range(3):
        page.locator("#step-next").tap()
    expect(page.locator("#rnn-steps .walk-step.current")).to_have_count(1)

    page.goto(base + "/fit")
    page.locator("#fit-step").tap()
    expect(page.locator("#fit-steps")).to_have_attribute("data-steps", "1")
    page.locator("#fit-play").tap()
    page.wait_for_timeout(800)
    page.locator("#fit-play").tap()


def test_normal_use_logs_no_error(browser, live_server, shared, tmp_path):
    context = new_context(browser, width=PHONE.width, height=PHONE.height, touch=True, bypass_csp=False)
    page = context.new_page()
    page.set_default_timeout(20000)
    errors: list[str] = []
    refused: list[str] = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: uncaught {e}"))
    page.on("response", lambda r: refused.append(f"{r.status} {r.request.method} {r.url}") if r.status >= 400 else None)
    try:
        walk(page, live_server.url, shared, tmp_path)
    finally:
        external = context.guard.external
        context.close()
    assert not external
    unexpected = [r for r in refused if not any(name in r for name in ALLOWED)]
    assert not unexpected, f"requests refused in normal use: {unexpected}"
    assert not errors, errors
