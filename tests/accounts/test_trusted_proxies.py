"""AUTHSERVER_TRUSTED_PROXIES: behind a TLS-terminating proxy, the person's address and scheme are right.

A live server with an https issuer, reached over plain http as a proxy would reach it; the tests send
what that proxy would add (X-Forwarded-For/-Proto/-Host) and what a client might forge before it.
"""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from authserver import create_app
from authserver.accounts import throttle
from authserver.audit.models import AuditEvent
from authserver.extensions import db_session
from tests.support.accounts import csrf_token
from tests.support.live_server import LiveServer
from tests.support.oauth import LiveAuth

ISSUER = "https://auth.example"


@pytest.fixture
def behind_proxy(config, request):
    hops = getattr(request, "param", 1)
    server = LiveServer()
    app = create_app(config.replace(issuer=ISSUER, trusted_proxies=hops))
    server.start(app)
    yield LiveAuth(server.url, app)
    server.stop()
    app.extensions["authserver.db"].dispose()


class ProxiedBrowser:
    """A person's browser seen through the proxy: the session cookie is Secure, so it is carried by hand."""

    def __init__(self, live: LiveAuth, forwarded_for: str):
        self.live = live
        self.headers = {
            "X-Forwarded-For": forwarded_for,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "auth.example",
        }
        self.cookie: str | None = None

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = dict(self.headers)
        if self.cookie:
            headers["Cookie"] = self.cookie
        response = requests.request(
            method, self.live.url + path, headers=headers, allow_redirects=False, timeout=10, **kwargs
        )
        if set_cookie := response.headers.get("Set-Cookie"):
            self.cookie = set_cookie.split(";", 1)[0]
        return response

    def sign_in(self, email: str, password: str) -> requests.Response:
        page = self.request("GET", "/login")
        assert "Secure" in page.headers["Set-Cookie"]
        return self.request(
            "POST", "/login", data={"email": email, "password": password, "csrf_token": csrf_token(page.text)}
        )


def _login_failures(live: LiveAuth) -> list[str | None]:
    def read():
        return list(db_session().scalars(select(AuditEvent.ip).where(AuditEvent.event == "login.failed")))

    return live.run(read)


def test_an_https_issuer_behind_a_tls_proxy_signs_people_in(behind_proxy):
    user = behind_proxy.user()
    response = ProxiedBrowser(behind_proxy, "198.51.100.7").sign_in(user.email, user.password)
    assert response.status_code == 303, response.text
    assert re.search(r"(?i)authserver_session=[^;]+;.*\bSecure\b", response.headers["Set-Cookie"])
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_throttle_and_the_audit_see_the_address_the_proxy_saw(behind_proxy):
    user = behind_proxy.user()
    blocked = "198.51.100.7"

    def fail_from_blocked():
        for i in range(throttle.MAX_FAILURES_PER_ADDRESS):
            throttle.count_failure(blocked, f"someone-{i}@example.com")

    behind_proxy.run(fail_from_blocked)

    # The client forged an entry before the proxy's; only the proxy's own is believed.
    forged = ProxiedBrowser(behind_proxy, f"203.0.113.9, {blocked}").sign_in(user.email, "wrong password")
    assert forged.status_code == 429
    # Someone else behind the same proxy is not locked out with them.
    elsewhere = ProxiedBrowser(behind_proxy, f"{blocked}, 198.51.100.8").sign_in(user.email, "wrong password")
    assert elsewhere.status_code == 401
    assert _login_failures(behind_proxy) == ["198.51.100.8"]


@pytest.mark.parametrize("behind_proxy", [0], indirect=True)
def test_without_trusted_proxies_forwarded_headers_are_ignored(behind_proxy):
    user = behind_proxy.user()
    browser = ProxiedBrowser(behind_proxy, "198.51.100.8")
    page = browser.request("GET", "/login")
    browser.request(
        "POST", "/login", data={"email": user.email, "password": "wrong", "csrf_token": csrf_token(page.text)}
    )
    assert _login_failures(behind_proxy) == ["127.0.0.1"]
