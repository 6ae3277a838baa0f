"""The pages under the strict CSP (script-src 'self': no inline handlers, no eval) and a real
cross-site attack (issue 18): a page on another port of the same host auto-posts a form."""

from __future__ import annotations

import http.server
import threading

import pytest

from app.labs import all_labs
from tests.conftest import free_port, new_context

pytestmark = pytest.mark.browser

PATHS = ["/", "/docs", "/classroom", "/join"] + [lab.path for lab in all_labs()]


def test_no_page_breaks_the_csp(browser, live_server):
    context = new_context(browser, bypass_csp=False)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(f"{page.url}: {m.text}")
            if "Content Security Policy" in m.text else None)
    try:
        for path in PATHS:
            assert page.goto(live_server.url + path).status == 200, path
            page.wait_for_load_state("networkidle")
        page.goto(live_server.url + "/docs")
        page.wait_for_selector(".swagger-ui .opblock", timeout=15000)  # Swagger UI ran under its hash
        page.goto(live_server.url + "/softmax")
        page.locator("#t").fill("2.5")  # what the inline oninput did, now app.js (data-shows)
        assert page.locator("#t-value").inner_text() == "2.5"
    finally:
        context.close()
    assert not violations, violations


def test_a_form_auto_posted_from_another_port_is_refused(browser, live_server):
    import httpx

    cid = None
    context = new_context(browser, bypass_csp=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/classifiers")
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        r = httpx.post(live_server.url + "/api/classifiers", json={"name": "victim", "classes": ["a", "b"]},
                       cookies=cookies)
        cid = r.json()["id"]
        attack = (f'<form id="f" method="post" action="{live_server.url}/classifiers/{cid}/delete"></form>'
                  '<script>document.getElementById("f").submit()</script>').encode()

        class Evil(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("content-type", "text/html")
                self.end_headers()
                self.wfile.write(attack)

            def log_message(self, *args):
                pass

        port = free_port()
        evil = http.server.HTTPServer(("127.0.0.1", port), Evil)
        threading.Thread(target=evil.serve_forever, daemon=True).start()
        try:
            with page.expect_response(lambda resp: "/delete" in resp.url) as answer:
                page.goto(f"http://127.0.0.1:{port}/")
            assert answer.value.status == 403
        finally:
            evil.shutdown()
        assert httpx.get(f"{live_server.url}/api/classifiers/{cid}", cookies=cookies).status_code == 200
    finally:
        context.close()
