"""The classroom's JSON API and pages: who may do what, what students see, what is deleted."""

import time

import pytest

from app.classroom import store
from app.classroom.tables import ClassResult, ClassSession, ClassStudent
from app.db import session_scope
from tests.classroom.conftest import AS_TEACHER, TEACHER, digit_png, open_class


def join(client, code, nickname="小明"):
    r = client.post(f"/api/classes/{code}/join", json={"nickname": nickname})
    assert r.status_code == 200, r.text
    return r.json()["student_token"]


def rows(settings, table):
    with session_scope(settings.database_url_resolved) as s:
        return s.query(table).count()


def test_teacher_opens_a_class_and_sees_who_joined(client):
    code = open_class(client)
    assert len(code) == 6
    join(client, code, "小明")
    join(client, code, "小明")  # the same nickname twice stays tellable apart
    r = client.get(f"/api/classes/{code}", headers=AS_TEACHER)
    assert r.status_code == 200
    assert [s["nickname"] for s in r.json()["students"]] == ["小明", "小明 2"]
    assert r.json()["join_url"].endswith(f"/join?code={code}")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TEACHER}])
def test_only_the_teacher_token_opens_a_class(client, headers):
    r = client.post("/api/classes", headers=headers)
    assert r.status_code == 403 and r.json()["code"] == "classroom.teacher_only"


def test_students_cannot_call_teacher_actions(client):
    code = open_class(client)
    token = join(client, code)  # the client now carries the student's cookies
    as_student = {"Authorization": f"Bearer {token}"}
    calls = [("get", f"/api/classes/{code}", None), ("post", f"/api/classes/{code}/push", {"lab": "neuron", "state": {}}),
             ("delete", f"/api/classes/{code}", None), ("delete", f"/api/classes/{code}/students/1", None),
             ("get", f"/api/classes/{code}/views/digits", None), ("post", "/api/classes", None)]
    for method, url, body in calls:
        for headers in ({}, as_student):
            r = client.request(method, url, json=body, headers=headers)
            assert r.status_code == 403, (method, url, r.text)
    for page in (f"/classroom/{code}", f"/classroom/{code}/view/digits", f"/classroom/{code}/students"):
        assert client.get(page).status_code == 403
    assert client.post(f"/classroom/{code}/end").status_code == 403
    assert client.get(f"/api/classes/{code}", headers=AS_TEACHER).status_code == 200  # still open


def test_a_script_nickname_is_shown_as_text(client):
    code = open_class(client)
    join(client, code, "<script>x(1)</script>")
    page = client.get(f"/classroom/{code}", headers=AS_TEACHER).text
    assert "&lt;script&gt;x(1)&lt;/script&gt;" in page and "<script>x(1)" not in page
    here = client.get("/classroom-here").text
    assert "&lt;script&gt;" in here and "<script>x" not in here


def test_push_is_validated_and_answered_in_the_learners_language(client):
    code = open_class(client)
    r = client.post(f"/api/classes/{code}/push", json={"lab": "neuron", "state": {"w1": 1, "w2": 2, "b": 1}}, headers=AS_TEACHER)
    assert r.status_code == 200 and r.json()["url"] == "/neuron?w1=1&w2=2&b=1"
    r = client.post(f"/api/classes/{code}/push", json={"lab": "neuron", "state": {"w": {"deep": 1}}},
                    headers={**AS_TEACHER, "accept-language": "en"})
    assert r.status_code == 422 and r.json()["detail"].startswith("The lab's settings are wrong")
    r = client.post(f"/api/classes/{code}/push", json={"url": "https://evil.example/"}, headers=AS_TEACHER)
    assert r.status_code == 422 and r.json()["code"] == "classroom.bad_url"
    r = client.post(f"/api/classes/{code}/push", json={"lab": "nope", "state": {}}, headers=AS_TEACHER)
    assert r.status_code == 422
    last = client.get(f"/api/classes/{code}", headers=AS_TEACHER).json()["last_push"]
    assert last["url"] == "/neuron?w1=1&w2=2&b=1"  # a late joiner is sent here


def test_ending_deletes_nicknames_and_results_and_the_code_stops_working(client, settings):
    code = open_class(client)
    join(client, code, "阿華")
    client.post(f"/api/classes/{code}/push", json={"lab": "digits", "state": {"target": 7}}, headers=AS_TEACHER)
    assert client.post("/api/digits/predict", files={"image": ("d.png", digit_png(7), "image/png")}).status_code == 200
    client.app.state.classroom.flush()
    assert rows(settings, ClassResult) == 1 and rows(settings, ClassStudent) == 1
    r = client.delete(f"/api/classes/{code}", headers=AS_TEACHER)
    assert r.status_code == 200
    assert rows(settings, ClassResult) == 0 and rows(settings, ClassStudent) == 0 and rows(settings, ClassSession) == 0
    assert client.post(f"/api/classes/{code}/join", json={"nickname": "x"}).status_code == 404
    assert client.get("/api/classroom/me").status_code == 404  # the old cookie is useless
    assert client.get(f"/api/classes/{code}/events").status_code == 404
    client.post("/api/digits/predict", files={"image": ("d.png", digit_png(7), "image/png")})
    client.app.state.classroom.flush()
    assert rows(settings, ClassResult) == 0  # nothing is recorded for an ended class


def test_the_wall_shows_drawings_with_what_the_network_read(client, settings):
    code = open_class(client)
    client.post(f"/api/classes/{code}/push", json={"lab": "digits", "state": {"target": 7}}, headers=AS_TEACHER)
    join(client, code, "小美")
    client.post("/api/digits/predict", files={"image": ("d.png", digit_png(1), "image/png")})  # while drawing…
    r = client.post("/api/digits/predict", files={"image": ("d.png", digit_png(7), "image/png")})  # …the finished 7
    read = r.json()["prediction"]
    client.app.state.classroom.flush()
    view = client.get(f"/api/classes/{code}/views/digits", headers=AS_TEACHER).json()
    assert len(view["tiles"]) == 1  # one tile per student: their latest drawing
    assert view["total"] == 1 and view["right"] == int(read == 7) and view["target"] == 7
    assert view["tiles"][0]["nickname"] == "小美" and view["tiles"][0]["prediction"] == read
    assert view["tiles"][0]["png"].startswith("data:image/png;base64,")
    html = client.get(f"/classroom/{code}/view/digits", headers={**AS_TEACHER, "accept-language": "en"}).text
    assert "drawings of a 7, the network read 1 as 7" in html or "read 0 as 7" in html and "小美" in html
    html = client.get(f"/classroom/{code}/view/digits", headers=AS_TEACHER).text
    assert "1 位同學寫的 7，神經網路讀成 7 的有" in html and "認對" not in html


def test_without_a_digit_asked_the_wall_scores_nothing(client, settings):
    """The wall says what it measures: with no digit asked for, no ✓/✗ and no score, only what the
    network read; a drawing made for an earlier task is not scored against it either."""
    code = open_class(client)
    client.post(f"/api/classes/{code}/push", json={"lab": "digits", "state": {"target": 7}}, headers=AS_TEACHER)
    join(client, code, "小美")
    client.post("/api/digits/predict", files={"image": ("d.png", digit_png(7), "image/png")})
    client.app.state.classroom.flush()
    html = client.get(f"/classroom/{code}/view/digits", headers=AS_TEACHER).text
    assert "✓" in html or "✗" in html  # drawn for the task asked now: scored
    client.post(f"/api/classes/{code}/push", json={"lab": "digits", "state": {}}, headers=AS_TEACHER)  # no task now
    view = client.get(f"/api/classes/{code}/views/digits", headers=AS_TEACHER).json()
    assert view["target"] is None and view["total"] == 0 and view["tiles"][0]["right"] is None
    html = client.get(f"/classroom/{code}/view/digits", headers=AS_TEACHER).text
    assert "沒有指定數字：每張字下面是神經網路讀成的數字" in html and "小美" in html
    assert "✓" not in html and "✗" not in html and "cr-right" not in html and "cr-wrong" not in html


def test_removing_a_student_deletes_them_and_their_results(client, settings):
    code = open_class(client)
    join(client, code, "要走的人")
    client.post("/api/digits/predict", files={"image": ("d.png", digit_png(1), "image/png")})
    client.app.state.classroom.flush()
    sid = client.get(f"/api/classes/{code}", headers=AS_TEACHER).json()["students"][0]["id"]
    assert client.delete(f"/api/classes/{code}/students/{sid}", headers=AS_TEACHER).status_code == 200
    assert client.get(f"/api/classes/{code}", headers=AS_TEACHER).json()["students"] == []
    assert rows(settings, ClassResult) == 0
    assert client.get("/api/classroom/me").status_code == 404


def test_classes_idle_for_a_day_are_deleted(client, settings):
    code = open_class(client)
    join(client, code)
    service = client.app.state.classroom
    assert service.expire_idle(now=time.time() + 3600) == []  # an hour later: still there
    assert service.expire_idle(now=time.time() + 24 * 3600 + 60) == [code]
    assert rows(settings, ClassStudent) == 0 and store.get_class(settings.database_url_resolved, code) is None


def test_join_attempts_are_rate_limited_in_the_learners_language(client):
    for _ in range(10):
        client.post("/api/classes/AAAAAA/join", json={"nickname": "x"})
    r = client.post("/api/classes/AAAAAA/join", json={"nickname": "x"}, headers={"accept-language": "en"})
    assert r.status_code == 429 and r.json()["detail"].startswith("Too fast!")
    r = client.post("/join", data={"code": "AAAAAA", "nickname": "x"})
    assert r.status_code == 429 and "太快了" in r.text


def test_a_students_requests_are_rate_limited(client):
    code = open_class(client)
    join(client, code)
    statuses = []
    while len(statuses) < 1000 and 429 not in statuses:  # 60 at once, then 10/s: a loaded machine is slower, not exempt
        statuses.append(client.get("/api/classroom/me").status_code)
    assert statuses[0] == 200 and 429 in statuses
    r = client.get("/api/classroom/me", headers={"accept-language": "en"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and "Too fast" in r.json()["detail"]


def test_join_page_says_what_is_kept_and_when_it_is_deleted(client):
    zh = client.get("/join?code=ABC").text
    assert "老師結束課堂時" in zh and 'value="ABC"' in zh
    en = client.get("/join", headers={"accept-language": "en"}).text
    assert "all of it is deleted" in en


def test_join_page_joins_and_shows_the_waiting_page(client):
    code = open_class(client)
    r = client.post("/join", data={"code": code.lower(), "nickname": "小明"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/classroom-here"
    assert client.cookies.get("pg_class") == code
    assert code in client.get("/classroom-here").text
    r = client.post("/join", data={"code": "ZZZZZZ", "nickname": "小明"})
    assert r.status_code == 404 and "找不到這堂課" in r.text


def test_teacher_signs_in_with_the_printed_link_and_sees_the_qr_code(client):
    r = client.get(f"/classroom?token={TEACHER}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/classroom"
    assert TEACHER not in r.headers["set-cookie"]
    r = client.post("/classroom/new", follow_redirects=False)
    code = r.headers["location"].rsplit("/", 1)[1]
    page = client.get(f"/classroom/{code}")
    assert page.status_code == 200 and "<svg" in page.text and f">{code}<" in page.text
    client.cookies.clear()
    assert client.get("/classroom?token=wrong").status_code == 403
    assert client.get(f"/classroom/{code}").status_code == 403


def test_learning_rates_the_class_tried_against_what_happened(client):
    code = open_class(client)
    join(client, code, "小華")
    for eta in (0.01, 0.1, 0.3, 1.2):
        r = client.post("/api/descent", json={"loss": "quadratic", "w0": 5, "eta": eta, "steps": 30})
        assert r.status_code == 200
    client.app.state.classroom.flush()
    view = client.get(f"/api/classes/{code}/views/descent", headers=AS_TEACHER).json()
    lanes = {p["eta"]: p["lane"] for p in view["points"]}
    assert lanes[0.3] == "converged" and lanes[0.01] == "converging" and lanes[1.2] == "diverged"
    html = client.get(f"/classroom/{code}/view/descent", headers={**AS_TEACHER, "accept-language": "en"}).text
    assert "<svg" in html and "Diverged" in html and "小華: η = 1.2" in html


def test_leaderboard_of_the_classs_trained_networks(client, settings):
    from datetime import datetime, timedelta, timezone

    from app.jobs.tables import Job

    code = open_class(client)
    join(client, code, "設計師")
    started = datetime.now(timezone.utc) - timedelta(seconds=42)
    with session_scope(settings.database_url_resolved) as s:  # a job a worker finished
        s.add(Job(id="job1", kind="train", owner=client.cookies.get("pg_browser") or "", status="succeeded",
                  params={"architecture": "cnn", "epochs": 2, "optimizer": "adam"}, started=started,
                  finished=started + timedelta(seconds=42), result={"test_accuracy": 0.987, "parameters": 56_714}))
    client.get("/train/jobs/job1")  # the first look at a finished job announces it
    client.app.state.classroom.flush()
    board = client.get(f"/api/classes/{code}/views/train", headers=AS_TEACHER).json()
    row = board["rows"][0]
    assert row["nickname"] == "設計師" and row["accuracy"] == pytest.approx(0.987) and row["params"] == 56_714
    assert row["seconds"] == pytest.approx(42) and row["design"].startswith("CNN 16-32-64")
    html = client.get(f"/classroom/{code}/view/train", headers=AS_TEACHER).text
    assert "98.7%" in html and "56,714" in html


def test_photos_taken_in_class_are_deleted_with_it_and_earlier_ones_are_not(client, settings, shared):
    from app.classifiers import service as classifiers
    from app.classifiers.tables import ClassifierPhoto

    client.get("/")  # this browser's anonymous id
    owner = client.cookies.get("pg_browser")
    photo = next((shared / "datasets" / "myna" / "common_myna").glob("*.jpg")).read_bytes()
    cid = classifiers.create(settings, owner, "八哥", ["家八哥", "土八哥"])
    classifiers.add_photos(settings, cid, owner, 0, [("before.jpg", photo)])  # at home, before class
    time.sleep(0.01)
    code = open_class(client)
    join(client, code)
    classifiers.add_photos(settings, cid, owner, 1, [("in-class.jpg", photo)])
    assert rows(settings, ClassifierPhoto) == 2
    client.delete(f"/api/classes/{code}", headers=AS_TEACHER)
    assert rows(settings, ClassifierPhoto) == 1  # the photo taken in class is gone


def test_a_student_who_leaves_is_deleted_at_once(client, settings):
    code = open_class(client)
    join(client, code, "先走")
    r = client.post("/api/classroom/leave")
    assert r.json() == {"left": True} and "pg_student" not in client.cookies
    assert client.get(f"/api/classes/{code}", headers=AS_TEACHER).json()["students"] == []
    assert rows(settings, ClassStudent) == 0


def test_guessing_the_teacher_token_is_slowed_down(client):
    statuses = [client.post("/api/classes", headers={"Authorization": f"Bearer guess{i}"}).status_code for i in range(12)]
    assert statuses[:10] == [403] * 10 and statuses[-1] == 429
    assert client.post("/classroom/login", data={"token": "guess"}).status_code == 429


def test_the_photo_tally_keeps_what_the_cnn_saw_not_the_photo(client, settings, shared):
    code = open_class(client)
    join(client, code, "拍照的人")
    photo = (shared / "photos" / "american_black_bear.jpg").read_bytes()
    r = client.post("/api/photos/classify", files={"image": ("bear.jpg", photo, "image/jpeg")})
    assert r.status_code == 200, r.text
    client.app.state.classroom.flush()
    tally = client.get(f"/api/classes/{code}/views/photos", headers=AS_TEACHER).json()
    assert tally["total"] == 1 and "American black bear" in tally["rows"][0]["label"]
    with session_scope(settings.database_url_resolved) as s:
        kept = s.query(ClassResult).one().payload
    assert len(kept) < 200  # a label, not an image
