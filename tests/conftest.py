"""Fixtures for every test: settings on a temporary data folder with ../shared as the assets,
an in-process client, a real server in a subprocess, and Playwright driving Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PLAYGROUND_TEST_ASSETS", ROOT.parent / "shared")).resolve()
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def shared() -> Path:
    assert (SHARED / "datasets" / "mnist.npz").exists(), f"test assets not found in {SHARED}"
    return SHARED


@pytest.fixture
def settings(tmp_path, shared) -> Settings:
    return Settings(data_dir=tmp_path / "data", assets_dir=shared, workers=0)


@pytest.fixture
def client(settings) -> TestClient:
    with TestClient(create_app(settings)) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`playground serve` in its own process, as a learner would run it."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None, worker: bool = False):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PLAYGROUND_DATA_DIR": str(data_dir), "PLAYGROUND_ASSETS_DIR": str(SHARED),
               "PYTHONUNBUFFERED": "1", **(extra_env or {})}
        args = [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)]
        if not worker:
            args.append("--no-worker")
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(data_dir / "server.log", "w")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {(data_dir / 'server.log').read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not start in 60 s")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, shared):
    server = LiveServer(tmp_path_factory.mktemp("live") / "data")
    yield server
    server.stop()


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class ExternalRequestGuard:
    """Records every request a page makes to another host: a workshop LAN may have no internet."""

    def __init__(self):
        self.external: list[str] = []

    def attach(self, context):
        def on_route(route):
            host = route.request.url.split("/")[2].split(":")[0] if "://" in route.request.url else ""
            if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
                return route.continue_()
            self.external.append(route.request.url)
            return route.abort()

        context.route("**/*", on_route)


def new_context(browser, width=1280, height=900, lang="zh-TW", touch=False, bypass_csp=True, **kw):
    """bypass_csp: Playwright's wait_for_function() evaluates its string with eval() inside the page,
    which the pages' CSP (script-src 'self') refuses; tests/browser/test_csp_browser.py runs the
    pages under their real CSP."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale=lang, bypass_csp=bypass_csp,
                                  has_touch=touch, is_mobile=touch, device_scale_factor=1, **kw)
    guard = ExternalRequestGuard()
    guard.attach(context)
    context.guard = guard
    return context


@contextmanager
def opened(browser, server, path=None, width=1280, height=900, lang="zh-TW", touch=None, projector=None,
           timeout=20000):
    """A page in a fresh context (its own cookies) at a size, in a language, in projector mode or
    not (None: left to the page's default), touch below 500 px unless told; on leaving, the context is
    closed and checked for requests to other hosts."""
    context = new_context(browser, width=width, height=height, lang=lang,
                          touch=width < 500 if touch is None else touch)
    cookies = [{"name": "lang", "value": lang, "url": server.url}]
    if projector is not None:
        cookies.append({"name": "projector", "value": "1" if projector else "0", "url": server.url})
    context.add_cookies(cookies)
    page = context.new_page()
    page.set_default_timeout(timeout)
    try:
        if path is not None:
            page.goto(server.url + path)
        yield page
    finally:
        external = context.guard.external
        context.close()
    assert not external, f"the page requested other hosts: {external}"


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1


@pytest.fixture
def context(browser):
    ctx = new_context(browser)
    yield ctx
    external = ctx.guard.external
    ctx.close()
    assert not external, f"page requested other hosts: {external}"


@pytest.fixture
def page(context):
    p = context.new_page()
    p.set_default_timeout(15000)
    return p


@pytest.fixture
def phone_context(browser):
    ctx = new_context(browser, width=390, height=844, touch=True)
    yield ctx
    external = ctx.guard.external
    ctx.close()
    assert not external, f"page requested other hosts: {external}"


@pytest.fixture
def phone_page(phone_context):
    p = phone_context.new_page()
    p.set_default_timeout(15000)
    return p


def screenshot(page, name: str) -> Path:
    """Saved under test-artifacts/screenshots/ for a person to look at."""
    out = ARTIFACTS / "screenshots" / f"{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=True)
    return out
