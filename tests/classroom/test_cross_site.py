"""Cross-site safety (issue 18): a form auto-posted from another origin — another port of the same
host included — changes nothing; every response carries the safety headers; odd push URLs are
refused."""

from __future__ import annotations

import pytest

from tests.classroom.conftest import AS_TEACHER, open_class

OTHER_PORT = {"Origin": "http://testserver:9011"}


def test_a_cross_origin_post_cannot_delete_a_classifier(client):
    cid = client.post("/api/classifiers", json={"name": "birds", "classes": ["a", "b"]}).json()["id"]
    for headers in (OTHER_PORT, {"Origin": "http://localhost"}, {"Origin": "null"},
                    {"Sec-Fetch-Site": "same-site"}, {"Sec-Fetch-Site": "cross-site"}):
        r = client.post(f"/classifiers/{cid}/delete", headers=headers, follow_redirects=False)
        assert r.status_code == 403, headers
        assert "別的網站" in r.text
    assert client.get(f"/api/classifiers/{cid}").status_code == 200  # still there
    r = client.post(f"/classifiers/{cid}/delete", headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert r.status_code == 303  # this site's own page may


def test_a_cross_origin_post_cannot_end_a_class_or_join_one(client):
    code = open_class(client)
    r = client.post(f"/classroom/{code}/end", headers={**AS_TEACHER, **OTHER_PORT}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get(f"/api/classes/{code}", headers=AS_TEACHER).status_code == 200
    r = client.post("/join", data={"code": code, "nickname": "mallory"}, headers=OTHER_PORT, follow_redirects=False)
    assert r.status_code == 403 and "set-cookie" not in r.headers  # the victim's cookies stay as they were
    r = client.post("/api/jobs", json={"hidden_layers": [8]}, headers={"Sec-Fetch-Site": "same-site"})
    assert r.status_code == 403 and r.json()["code"] == "errors.cross_site"
    r = client.post("/join", data={"code": code, "nickname": "ok"}, headers={"Origin": "http://testserver",
                                                                             "Sec-Fetch-Site": "same-origin"},
                    follow_redirects=False)
    assert r.status_code == 303


@pytest.mark.parametrize("path", ["/", "/train", "/no-such-page", "/static/js/app.js", "/api/jobs", "/docs"])
def test_every_response_has_the_safety_headers(client, path):
    r = client.get(path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"
    if path != "/static/js/app.js":
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        script_src = csp.split("script-src")[1].split(";")[0]
        assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src


def test_docs_allow_only_their_own_inline_script(client):
    csp = client.get("/docs").headers["content-security-policy"]
    assert "'sha256-" in csp


@pytest.mark.parametrize("url", ["//evil.example/neuron", "javascript:alert(1)//neuron", "javascript:/neuron",
                                 "/\\evil.example/neuron"])
def test_odd_push_urls_are_refused(client, url):
    code = open_class(client)
    r = client.post(f"/api/classes/{code}/push", json={"url": url}, headers=AS_TEACHER)
    assert r.status_code == 422, r.text
    assert client.post(f"/api/classes/{code}/push", json={"url": "/neuron?w=1"}, headers=AS_TEACHER).status_code == 200


def test_behind_a_proxy_the_forwarded_host_is_this_site(client):
    headers = {"Origin": "https://playground.example", "X-Forwarded-Host": "playground.example"}
    assert client.post("/api/jobs", json={"hidden_layers": [8], "epochs": 1}, headers=headers).status_code == 201
    headers = {"Origin": "https://evil.example", "X-Forwarded-Host": "playground.example"}
    assert client.post("/api/jobs", json={"hidden_layers": [8], "epochs": 1}, headers=headers).status_code == 403
