"""Headless Chromium through Playwright: one browser per test session, a fresh context per test.

Debian's chromium is driven rather than Playwright's own download: it is what `make test`
installs, and it gets security updates with the system.
"""

from __future__ import annotations

import os
import secrets
import shutil
from urllib.parse import urlencode

import pytest

from tests.support.live_server import LiveServer
from tests.support.oauth import authorization_params

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


class _SharedChromium:
    """One Chromium per process, however many modules import the fixture.

    Each module that imports ``chromium`` gets its own session-scoped fixture instance, and two
    live sync Playwrights in one thread refuse to run; so instances share one browser, counted.
    """

    def __init__(self) -> None:
        self.users = 0
        self.playwright = None
        self.browser = None

    def acquire(self):
        if self.users == 0:
            from playwright.sync_api import sync_playwright

            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.users += 1
        return self.browser

    def release(self) -> None:
        self.users -= 1
        if self.users == 0:
            self.browser.close()
            self.playwright.stop()


_shared = _SharedChromium()


@pytest.fixture
def database_url(tmp_path, sqlite_template):
    """SQLite only, where imported: storage is covered elsewhere, and each browser test is slow enough once."""
    path = tmp_path / "authserver.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def chromium():
    yield _shared.acquire()
    _shared.release()


@pytest.fixture
def page(chromium):
    """A new page in its own context: no cookies or storage shared between tests."""
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def callback():
    """The client's redirect URI: a page that only says it was reached."""

    def client_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"<h1>Client callback</h1>"]

    server = LiveServer().start(client_app)
    yield server.url + "/callback"
    server.stop()


def authorize_url(live_auth, client, challenge: str, state: str, scope: str = "openid") -> str:
    """An authorization request with PKCE S256 and a nonce, as a web app would build it."""
    params = authorization_params(client, challenge, scope=scope, state=state, nonce=secrets.token_urlsafe(8))
    return live_auth.authorize_endpoint + "?" + urlencode(params)


def sign_in_on_the_page(page, email: str, password: str) -> None:
    """Fill in and send the login form the page is showing."""
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
