"""Classroom mode in real browsers: one projector and three phones (separate browser contexts,
as separate people) join, follow the teacher's pushes, draw, and see the class end."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.layout import assert_on_screen, screenshot_viewport
from tests.conftest import LiveServer, new_context, screenshot

pytestmark = pytest.mark.browser
TEACHER = "browser-test-teacher-token"
NICKNAMES = ["小明", "<script>x</script>", "Amy"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, shared):
    s = LiveServer(tmp_path_factory.mktemp("classroom-browser") / "data", extra_env={"PLAYGROUND_TEACHER_TOKEN": TEACHER})
    yield s
    s.stop()


def person(browser, server, width, height, lang, projector=False, touch=False):
    context = new_context(browser, width=width, height=height, lang=lang, touch=touch)
    context.add_cookies([{"name": "lang", "value": lang, "url": server.url},
                         {"name": "projector", "value": "1" if projector else "0", "url": server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.dialogs = dialogs
    return context, page


def draw_seven(page):
    box = page.locator("#digit-pad canvas").bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + 0.25 * w, y + 0.2 * h)
    page.mouse.down()
    for px, py in [(0.5, 0.2), (0.75, 0.2), (0.6, 0.5), (0.45, 0.85)]:
        page.mouse.move(x + px * w, y + py * h, steps=6)
    page.mouse.up()


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_projector_and_three_phones_follow_the_teacher(browser, server, lang):
    contexts = []
    try:
        teacher_ctx, projector = person(browser, server, 1920, 1080, lang, projector=True)
        contexts.append(teacher_ctx)
        projector.goto(f"{server.url}/classroom")  # not signed in yet: asks for the token
        expect(projector.locator("#cr-token")).to_be_visible()
        screenshot(projector, f"classroom-teacher-login-1920-{lang}")
        projector.goto(f"{server.url}/classroom?token={TEACHER}")
        screenshot(projector, f"classroom-teacher-home-1920-{lang}")
        projector.locator("form[action='/classroom/new'] button").click()
        projector.wait_for_url(re.compile(r"/classroom/[A-Z0-9]{6}$"))
        code = projector.locator("#cr-code").inner_text().strip()
        assert projector.locator(".cr-qr svg").count() == 1
        screenshot(projector, f"classroom-projector-empty-1920-{lang}")

        phones = []
        for i, nickname in enumerate(NICKNAMES):
            ctx, phone = person(browser, server, 390, 844, lang, touch=True)
            contexts.append(ctx)
            phone.goto(f"{server.url}/join?code={code}")
            if i == 0:
                screenshot(phone, f"classroom-join-390-{lang}")
                assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
            phone.locator("#cr-nickname").fill(nickname)
            phone.locator(".cr-join-form button[type=submit]").tap()
            phone.wait_for_url("**/classroom-here")
            expect(phone.locator("#classroom-badge .cr-badge-text")).to_contain_text(nickname)  # as text
            phones.append(phone)
        screenshot(phones[1], f"classroom-waiting-390-{lang}")

        # the projector's list follows the joins by itself (event stream → htmx refresh)
        expect(projector.locator("#cr-student-count")).to_have_attribute("data-n", "3")
        expect(projector.locator(".cr-nick", has_text="<script>x</script>")).to_have_count(1)

        # "everyone: open the neuron lab at w = (1, 2), b = 1"
        projector.locator("button[value='neuron-w12-b1']").click()
        expect(projector.locator(".cr-pushed-msg")).to_contain_text("/neuron?w=1&w=2&b=1")
        for phone in phones:
            phone.wait_for_url("**/neuron?w=1&w=2&b=1", timeout=5000)
            expect(phone.locator("#classroom-badge .cr-badge-note")).to_be_visible()
            # the task is a bar in the page's flow, not a badge over the lab's controls
            assert phone.locator("#classroom-badge").evaluate("e => getComputedStyle(e).position") == "static"

        # "everyone: draw a 7" — then the wall on the projector fills by itself
        projector.locator("button[value='digits-draw-7']").click()
        for phone in phones:
            phone.wait_for_url("**/digits?target=7", timeout=5000)
        for phone in phones:
            draw_seven(phone)
        expect(projector.locator("#cr-wall .cr-tile")).to_have_count(3, timeout=15000)
        expect(projector.locator("#cr-digits-score")).to_be_visible()
        # the score says what it measures: drawings of a 7 that the network read as 7
        expect(projector.locator("#cr-digits-score")).to_contain_text(
            "3 位同學寫的 7，神經網路讀成 7 的有" if lang == "zh-TW" else "Of 3 students' drawings of a 7, the network read")
        screenshot(phones[0], f"classroom-phone-digits-390-{lang}")
        screenshot(projector, f"classroom-projector-wall-1920-{lang}")
        overflow = phones[0].evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1

        # remove one student, then end the class: every phone is on its own again
        projector.locator("#cr-qr-box summary").click()  # everyone has joined: fold the QR code away
        expect(projector.locator("#cr-qr-box .cr-qr")).to_be_hidden()
        amy = projector.locator(".cr-student", has_text="Amy").locator("button.cr-remove")
        box = amy.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
        amy.click()  # asks first (the dialog handler accepts)
        expect(projector.locator("#cr-student-count")).to_have_attribute("data-n", "2")
        assert any("Amy" in d for d in projector.dialogs), projector.dialogs
        expect(phones[2].locator("#classroom-badge")).to_have_count(0)
        projector.locator(".cr-end button").click()  # confirm() is accepted
        projector.wait_for_url("**/classroom")
        for phone in phones[:2]:
            expect(phone.locator("#classroom-badge")).to_have_count(0)
            # the end is said at the top of the page, in the flow: it covers none of the lab's buttons
            expect(phone.locator("#classroom-ended")).to_be_visible()
            assert phone.locator("#classroom-ended").evaluate("e => getComputedStyle(e).position") == "static"
            assert "pg_class" not in [c["name"] for c in phone.context.cookies()]
        assert all(not p.dialogs for p in phones)  # no script ran from a nickname
    finally:
        for ctx in contexts:
            external = ctx.guard.external
            ctx.close()
            assert not external, f"pages requested other hosts: {external}"


def class_with_results(server) -> str:
    """A class of six whose students ran gradient descent and trained networks (jobs a worker
    finished, written straight into the server's database)."""
    from datetime import datetime, timedelta, timezone
    from pathlib import Path

    import httpx

    from app.db import session_scope
    from app.jobs.tables import Job

    teacher = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TEACHER}"})
    code = teacher.post("/api/classes").json()["code"]
    db = "sqlite:///" + str(Path(server.log.name).parent / "playground.db")
    designs = [({"architecture": "cnn", "epochs": 3, "optimizer": "adam"}, 0.991, 93_322, 61),
               ({"architecture": "dnn", "hidden_layers": [100, 100], "epochs": 5}, 0.978, 89_610, 24),
               ({"architecture": "dnn", "hidden_layers": [32], "epochs": 2, "activation": "sigmoid"}, 0.941, 25_450, 9)]
    for i, nickname in enumerate(["小明", "阿華", "Amy", "<b>Bob</b>", "小美", "Kai"]):
        student = httpx.Client(base_url=server.url)
        student.post(f"/api/classes/{code}/join", json={"nickname": nickname})
        for eta in (0.05, 0.3, 0.9, 1.1)[i % 2:][:3]:
            student.post("/api/descent", json={"loss": "quadratic", "w0": 5, "eta": eta * (1 + i / 10), "steps": 30})
        if i < len(designs):
            params, accuracy, size, seconds = designs[i]
            started = datetime.now(timezone.utc) - timedelta(seconds=seconds)
            job_id = f"{code}{i}"
            with session_scope(db) as s:
                s.add(Job(id=job_id, kind="train", owner=student.cookies.get("pg_browser"), status="succeeded", params=params,
                          started=started, finished=started + timedelta(seconds=seconds),
                          result={"test_accuracy": accuracy, "parameters": size}))
            student.get(f"/train/jobs/{job_id}")  # the first look announces it to the class
    return code


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_projector_views_of_learning_rates_and_the_leaderboard(browser, server, lang):
    code = class_with_results(server)
    context, projector = person(browser, server, 1920, 1080, lang, projector=True)
    try:
        projector.goto(f"{server.url}/classroom?token={TEACHER}")
        projector.goto(f"{server.url}/classroom/{code}?view=descent")
        # every student's learning rates, once the view has caught up with the class
        projector.wait_for_function("document.querySelectorAll('.cr-chart circle').length >= 12")
        screenshot(projector, f"classroom-projector-descent-1920-{lang}")
        assert_on_screen(projector, ".cr-chart")  # the class's results above the fold on the projector
        screenshot_viewport(projector, f"classroom-projector-descent-viewport-{lang}")
        projector.locator(".cr-tabs a").nth(2).click()
        projector.wait_for_url(f"**/classroom/{code}?view=train")
        rows = projector.locator(".cr-board tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.first).to_contain_text("99.1%")
        screenshot(projector, f"classroom-projector-train-1920-{lang}")
    finally:
        external = context.guard.external
        context.close()
        assert not external, f"pages requested other hosts: {external}"
