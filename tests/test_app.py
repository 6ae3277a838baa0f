"""The app shell: home page, languages, projector mode, errors in the learner's language."""

import hashlib
import re

from app.i18n import LANGUAGES, catalogue, negotiate
from app.web import STATIC_DIR


def test_every_catalogue_entry_has_both_languages():
    missing = [key for key, entry in catalogue().items() if set(entry) != set(LANGUAGES) or not all(entry.values())]
    assert missing == []


def test_language_negotiation():
    assert negotiate(None, None) == "zh-TW"  # default
    assert negotiate(None, "en-US,en;q=0.9") == "en"
    assert negotiate(None, "fr;q=1, zh-TW;q=0.8, en;q=0.5") == "zh-TW"  # first language we speak, by weight
    assert negotiate("en", "zh-TW") == "en"  # the switch (cookie) wins
    assert negotiate("xx", "en") == "en"  # a forged cookie is ignored


def test_home_shows_the_six_steps_in_chinese_by_default(client):
    r = client.get("/")
    assert r.status_code == 200
    assert '<html lang="zh-TW"' in r.text
    for step in ("先問一個問題", "化為函數", "準備資料", "打造函數學習機", "訓練", "預測"):
        assert step in r.text


def test_language_switch_is_remembered(client):
    r = client.get("/prefs?lang=en&next=/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    r = client.get("/")
    assert '<html lang="en"' in r.text and "Ask a question" in r.text


def test_accept_language_is_respected(client):
    r = client.get("/", headers={"accept-language": "en-GB,en;q=0.9"})
    assert '<html lang="en"' in r.text


def test_projector_mode_is_remembered(client):
    client.get("/prefs?projector=1&next=/")
    assert 'class="projector"' in client.get("/").text


def test_prefs_never_redirects_to_another_host(client):
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        r = client.get("/prefs", params={"lang": "en", "next": evil}, follow_redirects=False)
        assert r.headers["location"] == "/"


def test_unknown_page_is_a_404_page_in_the_learners_language(client):
    r = client.get("/no-such-lab", headers={"accept-language": "en"})
    assert r.status_code == 404 and "This page does not exist." in r.text
    r = client.get("/api/no-such-thing")
    assert r.status_code == 404 and r.json()["detail"] == "找不到這個頁面。"


def test_pages_may_only_talk_to_this_server(client):
    csp = client.get("/").headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp


def test_api_docs_are_served_locally(client):
    r = client.get("/docs")
    assert r.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in r.text
    assert "cdn" not in r.text.lower()


def test_pages_and_files_are_gzipped_and_versioned_files_cached_for_a_year(client):
    """Classroom Wi-Fi: HTML, JSON, JS and CSS compressed; a versioned static file never asked for twice."""
    page = client.get("/neuron", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    assert int(page.headers["content-length"]) < len(page.content) / 2  # the wire carries under half
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert urls and all("?v=" in u for u in urls), urls
    for url in urls:
        r = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        if url.endswith((".js", ".css")) and len(r.content) > 500:
            assert r.headers.get("content-encoding") == "gzip", url
    # the address changes with the file's bytes: the hash is of the content
    css = next(u for u in urls if "css/app.css" in u)
    digest = hashlib.sha1((STATIC_DIR / "css/app.css").read_bytes()).hexdigest()[:10]
    assert css.endswith(f"?v={digest}")
    # an unversioned address is revalidated, not kept
    assert client.get("/static/css/app.css").headers["cache-control"] == "no-cache"
    api = client.post("/api/neuron", json={"x": [1, 3], "w": [1, 2], "b": 1, "activation": "relu"},
                      headers={"Accept-Encoding": "gzip"})
    assert api.status_code == 200
    tiny = client.get("/api/digits/models", headers={"Accept-Encoding": "gzip"})
    assert len(tiny.content) >= 500 or "content-encoding" not in tiny.headers  # small answers are left alone
