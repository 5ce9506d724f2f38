"""Every page in Chromium under its Content-Security-Policy: styled from our stylesheet, no violation."""

from __future__ import annotations

import pytest

from tests.support.browser import authorize_url
from tests.support.browser import sign_in_on_the_page
from tests.support.oauth import pkce_pair

pytestmark = pytest.mark.browser


def test_every_page_renders_without_a_csp_violation(live_auth, page, callback):
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.on("pageerror", lambda error: violations.append(str(error)))
    user = live_auth.user()
    client = live_auth.client(redirect_uri=callback, name="Header test app")
    visited = []

    def visit(url: str) -> None:
        response = page.goto(url)
        visited.append((url, response.status))
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        # The stylesheet loaded and applied: the body has its background from site.css.
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(245, 246, 248)", url

    visit(live_auth.url + "/login")
    sign_in_on_the_page(page, user.email, user.password)
    visit(authorize_url(live_auth, client, pkce_pair()[1], state="s"))  # the consent page
    page.click("button[value=allow]")
    page.wait_for_url(callback + "*")
    for path in (
        "/account/apps",
        "/account/identities",
        "/developer/apps",
        "/developer/apps/new",
        "/logout",
        "/oauth/authorize?client_id=unknown&response_type=code",
    ):
        visit(live_auth.url + path)
    visit(live_auth.url + "/logout")
    page.click("form button[type=submit]")  # the signed-out page
    assert violations == [], (violations, visited)
