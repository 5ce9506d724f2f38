"""The authorization code flow as a person lives it, in Chromium: sign-in, consent, connected apps.

The client's redirect URI is a tiny real HTTP server on 127.0.0.1 (Playwright's router does not
see the redirected leg of a navigation), and the test reads the URL the browser landed on.
"""

import secrets

import pytest

from tests.support.browser import authorize_url
from tests.support.browser import sign_in_on_the_page
from tests.support.oauth import exchange_code
from tests.support.oauth import introspect
from tests.support.oauth import pkce_pair
from tests.support.oauth import query_of

pytestmark = pytest.mark.browser

SCOPE = "openid profile email offline_access"


def scope_descriptions(live_auth):
    from authserver.scopes.catalog import scope_descriptions as describe

    return live_auth.run(describe, SCOPE.split())


def test_authorize_sign_in_consent_allow_gives_a_code_and_connected_apps_can_take_it_back(live_auth, page, callback):
    client = live_auth.client(name="Notes app", scope=SCOPE, redirect_uri=callback)
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    user = live_auth.user()
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(8)

    page.goto(authorize_url(live_auth, client, challenge, state, scope=SCOPE))
    assert page.url.startswith(live_auth.url + "/login?next=")
    sign_in_on_the_page(page, user.email, user.password)

    assert page.url.startswith(live_auth.authorize_endpoint)
    assert "Notes app" in page.locator("h1").inner_text()
    listed = {item.get_attribute("data-scope"): item.inner_text() for item in page.locator("ul.scopes li").all()}
    assert listed == scope_descriptions(live_auth)
    assert list(listed) == SCOPE.split()
    page.click("button[name=decision][value=allow]")
    page.wait_for_url(callback + "?*")

    answer = query_of(page.url)
    assert answer["state"] == state and answer["iss"] == live_auth.url
    tokens = exchange_code(live_auth, client, answer["code"], verifier).json()
    assert introspect(live_auth, resource, tokens["access_token"]).json()["active"] is True

    # Consent is remembered: asking again goes straight back to the client.
    page.goto(authorize_url(live_auth, client, pkce_pair()[1], "again", scope=SCOPE))
    page.wait_for_url(callback + "?*")
    assert "code" in query_of(page.url)

    page.goto(live_auth.url + "/account/apps")
    app = page.locator(f"section.app[data-client-id='{client.client_id}']")
    assert app.locator("h2").inner_text() == "Notes app"
    assert [li.inner_text() for li in app.locator("ul.scopes li").all()] == list(listed.values())
    app.locator("button", has_text="Remove access").click()
    page.wait_for_load_state()
    assert "Notes app can no longer access your account" in page.locator(".success").inner_text()
    assert page.locator("section.app").count() == 0

    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert introspect(live_auth, resource, token).json() == {"active": False}
    page.goto(authorize_url(live_auth, client, pkce_pair()[1], "after-revoke", scope=SCOPE))
    assert page.locator("button[name=decision][value=allow]").count() == 1


def test_deny_sends_access_denied_with_state(live_auth, page, callback):
    client = live_auth.client(name="Mail app", scope=SCOPE, redirect_uri=callback)
    user = live_auth.user()
    page.goto(authorize_url(live_auth, client, pkce_pair()[1], "s-deny", scope="openid email"))
    sign_in_on_the_page(page, user.email, user.password)
    assert [li.get_attribute("data-scope") for li in page.locator("ul.scopes li").all()] == ["openid", "email"]
    page.click("button[name=decision][value=deny]")
    page.wait_for_url(callback + "?*")
    answer = query_of(page.url)
    assert answer["error"] == "access_denied" and answer["state"] == "s-deny"
    assert "code" not in answer
    page.goto(live_auth.url + "/account/apps")
    assert page.locator("section.app").count() == 0


def test_not_you_on_the_consent_page_signs_in_someone_else_and_resumes_the_request(live_auth, page, callback):
    client = live_auth.client(name="Notes app", scope=SCOPE, redirect_uri=callback)
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    first, second = live_auth.user(), live_auth.user()
    verifier, challenge = pkce_pair()
    page.goto(authorize_url(live_auth, client, challenge, "s-switch"))
    sign_in_on_the_page(page, first.email, first.password)
    assert first.email in page.locator("main").inner_text()
    page.click("text=Not you?")
    sign_in_on_the_page(page, second.email, second.password)
    assert second.email in page.locator("main").inner_text()
    page.click("button[name=decision][value=allow]")
    page.wait_for_url(callback + "?*")
    answer = query_of(page.url)
    assert answer["state"] == "s-switch"
    tokens = exchange_code(live_auth, client, answer["code"], verifier).json()
    assert introspect(live_auth, resource, tokens["access_token"]).json()["sub"] == second.sub
