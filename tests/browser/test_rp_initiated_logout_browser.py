"""OpenID Connect RP-Initiated Logout 1.0 with a real id_token from a real sign-in."""

from urllib.parse import urlencode

import pytest
import requests

from tests.support.browser import authorize_url
from tests.support.browser import sign_in_on_the_page
from tests.support.oauth import exchange_code
from tests.support.oauth import pkce_pair
from tests.support.oauth import query_of

pytestmark = pytest.mark.browser


def signed_in_with_an_id_token(live_auth, page, client) -> str:
    user = live_auth.user()
    verifier, challenge = pkce_pair()
    page.goto(authorize_url(live_auth, client, challenge, "s1"))
    sign_in_on_the_page(page, user.email, user.password)
    page.click("button[name=decision][value=allow]")
    page.wait_for_url(client.redirect_uri + "?*")
    return exchange_code(live_auth, client, query_of(page.url)["code"], verifier).json()["id_token"]


def test_end_session_endpoint_is_advertised(live_auth):
    metadata = requests.get(live_auth.url + "/.well-known/openid-configuration", timeout=10).json()
    assert metadata["end_session_endpoint"] == live_auth.url + "/logout"


def test_logout_with_id_token_hint_confirms_then_returns_to_the_registered_uri_with_state(live_auth, page, callback):
    bye = callback.replace("/callback", "/bye")
    client = live_auth.client(redirect_uri=callback, post_logout_redirect_uris=[bye])
    id_token = signed_in_with_an_id_token(live_auth, page, client)

    page.goto(
        live_auth.url
        + "/logout?"
        + urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": bye, "state": "after logout"})
    )
    assert page.locator("h1").inner_text() == "Sign out?"
    page.click("button:has-text('Sign out')")
    page.wait_for_url(bye + "?*")
    assert query_of(page.url) == {"state": "after logout"}
    page.goto(live_auth.url + "/account/apps")
    assert page.url.startswith(live_auth.url + "/login")


def test_unregistered_post_logout_uri_ends_on_the_signed_out_page(live_auth, page, callback):
    client = live_auth.client(redirect_uri=callback, post_logout_redirect_uris=[callback.replace("/callback", "/bye")])
    id_token = signed_in_with_an_id_token(live_auth, page, client)

    page.goto(
        live_auth.url
        + "/logout?"
        + urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": "https://example.org/", "state": "x"})
    )
    page.click("button:has-text('Sign out')")
    assert page.url == live_auth.url + "/logout"
    assert page.locator("h1").inner_text() == "You are signed out"
