"""Junk in every query parameter and form field of every page (issue 18): the HTML routes that
/openapi.json does not describe (tests/test_fuzz.py covers those it does). Each page is read as a
browser reads it — its forms, their fields, the hx-get / hx-post of its controls, the query
parameters of its links — and each field in turn gets each junk value while the others keep
their own. Never a 5xx."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest

from app.labs import all_labs

SLOW_PAGES = {"/conv", "/conv/digit"}  # ~800 link parameters; a CNN's layers per request
PAGES = [pytest.param(p, marks=pytest.mark.slow) if p in SLOW_PAGES else p
         for p in ["/", "/classroom", "/join", "/classifiers"] + [lab.path for lab in all_labs()]]
JUNK = ["", "-1", "1e309", "NaN", "abc", "9" * 300, "<script>x</script>\x00"]
SKIP_PREFIXES = ("/static/", "/prefs", "/docs", "/openapi.json", "http", "#", "javascript:", "mailto:")
STREAMS = ("/events", "/stream")  # event streams never end


class PageParser(HTMLParser):
    """Every target a person could send from the page: (method, url, {field: value}, file fields)."""

    def __init__(self):
        super().__init__()
        self.targets: list[tuple[str, str, dict[str, str], set[str]]] = []
        self.links: set[str] = set()
        self._form: tuple[str, str, dict[str, str], set[str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.add(a["href"])
        for attr, method in (("hx-get", "GET"), ("hx-post", "POST")):
            if a.get(attr, "").startswith("/"):
                fields = self._form[2] if self._form else {}
                self.targets.append((method, a[attr], fields, self._form[3] if self._form else set()))
        if tag == "form":
            self._form = ((a.get("method") or "get").upper(), a.get("action") or "", {}, set())
            self.targets.append(self._form)
        elif tag in ("input", "select", "textarea", "button") and self._form is not None and a.get("name"):
            if a.get("type") == "file":
                self._form[3].add(a["name"])
            else:
                self._form[2].setdefault(a["name"], a.get("value", ""))
            if tag == "button" and a.get("formaction", "").startswith("/"):
                self.targets.append(((a.get("formmethod") or self._form[0]).upper(), a["formaction"],
                                     self._form[2], self._form[3]))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def targets_of(client, page: str) -> list[tuple[str, str, dict[str, str], set[str]]]:
    parser = PageParser()
    parser.feed(client.get(page).text)
    found = [(m, url or page, fields, files) for m, url, fields, files in parser.targets]
    for link in parser.links:  # a link's query parameters are fields of a GET too
        parts = urlsplit(link)
        if parts.query:
            found.append(("GET", parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)), set()))
    return [t for t in found if not t[1].startswith(SKIP_PREFIXES) and not t[1].endswith(STREAMS)]


def send(client, method: str, url: str, fields: dict[str, str], files: set[str]):
    if method == "GET":
        return client.get(url, params=fields)
    upload = {name: ("junk.png", b"\x89PNG junk", "image/png") for name in files} or None
    return client.post(url, data=fields, files=upload, follow_redirects=False)


@pytest.mark.parametrize("page", PAGES)
def test_junk_in_every_field_of_every_form_is_never_a_server_error(client, page):
    sent, failures = 0, []
    for method, url, fields, files in targets_of(client, page):
        for name in list(fields) or [None]:
            for junk in JUNK if name else [None]:
                values = dict(fields) if name is None else {**fields, name: junk}
                r = send(client, method, url, values, files)
                sent += 1
                if r.status_code >= 500:
                    failures.append(f"{method} {url} {name}={junk!r} → {r.status_code}")
            if name:  # the field twice, and missing altogether
                for values in ({**fields, name: [fields[name], "abc"]}, {k: v for k, v in fields.items() if k != name}):
                    r = send(client, method, url, values, files)
                    sent += 1
                    if r.status_code >= 500:
                        failures.append(f"{method} {url} {name} repeated/missing → {r.status_code}")
    print(f"{page}: {sent} requests")
    assert not failures, failures
    assert sent > 0 or page == "/", f"{page}: nothing to send"  # the home page only links to the labs
