"""The app shell: home page, languages, projector mode, errors in the learner's language."""

from app.i18n import LANGUAGES, catalogue, negotiate


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
