"""Limits a crowd cannot walk around (issue 18): a browser that sends no cookie, or a made-up one
each time, still counts against its network address; the whole queue has a cap; every 429 says
when to come back (Retry-After)."""

from __future__ import annotations

import secrets

import pytest
from fastapi.testclient import TestClient

from app.main import create_app

DESIGN = {"hidden_layers": [8], "epochs": 1, "train_subset": 100}


def post_job(app, address: str, cookie: str | None = None):
    """One POST /api/jobs as a fresh client (no cookie jar), from `address`."""
    with TestClient(app, client=(address, 1234)) as c:
        if cookie:
            c.cookies.set("pg_browser", cookie)
        return c.post("/api/jobs", json=DESIGN)


@pytest.fixture
def quota_app(settings):
    return create_app(settings.model_copy(update={"max_jobs_per_address": 3, "max_queued_jobs": 5}))


@pytest.mark.parametrize("cookie", ["none", "forged"])
def test_cookie_less_or_forged_floods_get_429_per_address(quota_app, cookie):
    codes = []
    for _ in range(8):
        r = post_job(quota_app, "10.0.0.1", None if cookie == "none" else secrets.token_urlsafe(16))
        codes.append(r.status_code)
    assert codes == [201] * 3 + [429] * 5
    assert r.headers["retry-after"].isdigit()
    assert "這個網路位址" in r.json()["detail"]
    assert post_job(quota_app, "10.0.0.2").status_code == 201  # another address is not blocked


def test_the_whole_queue_is_capped_whatever_the_addresses(quota_app):
    codes = [post_job(quota_app, f"10.1.0.{i}").status_code for i in range(8)]
    assert codes == [201] * 5 + [429] * 3
    r = post_job(quota_app, "10.1.0.99")
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0 and "排隊" in r.json()["detail"]


def test_a_browser_quota_429_has_retry_after(client):
    codes = [client.post("/api/jobs", json=DESIGN) for _ in range(3)]
    assert [r.status_code for r in codes] == [201, 201, 429]
    assert int(codes[-1].headers["retry-after"]) > 0


def test_classifiers_per_browser_are_capped(settings):
    app = create_app(settings.model_copy(update={"max_classifiers_per_browser": 2}))
    with TestClient(app) as c:
        codes = [c.post("/api/classifiers", json={"name": "x", "classes": ["a", "b"]}).status_code for _ in range(3)]
        assert codes[:2] == [201, 201] and codes[2] == 429
        assert len(c.get("/api/classifiers").json()) == 2


def test_405_says_which_methods_are_allowed(client):
    r = client.delete("/api/jobs")
    assert r.status_code == 405 and "GET" in r.headers["allow"]
    r = client.put("/train/jobs")
    assert r.status_code == 405 and r.headers["allow"] == "POST"


def test_every_classroom_429_says_when_to_come_back(settings):
    with TestClient(create_app(settings.model_copy(update={"teacher_token": "t" * 20}))) as c:
        answers = [c.post("/api/classes", headers={"Authorization": f"Bearer guess{i}"}) for i in range(12)]
        assert answers[-1].status_code == 429 and int(answers[-1].headers["retry-after"]) >= 1
        page = c.post("/classroom/login", data={"token": "guess"})
        assert page.status_code == 429 and int(page.headers["retry-after"]) >= 1
        joins = [c.post("/join", data={"code": "ABCD", "nickname": "x"}) for _ in range(40)]
        limited = [r for r in joins if r.status_code == 429]
        assert limited and all(int(r.headers["retry-after"]) >= 1 for r in limited)
