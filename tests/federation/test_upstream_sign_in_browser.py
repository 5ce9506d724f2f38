"""In Chromium: third-party app → our login page → upstream button → fake upstream → back → consent → code.

SQLite only: storage is covered by the HTTP-level tests, and each browser test is slow enough once.
"""

import secrets

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from authserver.federation import services
from tests.support.browser import authorize_url
from tests.support.browser import callback  # noqa: F401
from tests.support.browser import chromium  # noqa: F401
from tests.support.browser import database_url  # noqa: F401
from tests.support.browser import page  # noqa: F401
from tests.support.fake_upstreams import FakeOidcProvider
from tests.support.oauth import exchange_code
from tests.support.oauth import pkce_pair
from tests.support.oauth import query_of

pytestmark = pytest.mark.browser


@pytest.fixture
def upstream(live_auth):
    fake = FakeOidcProvider().start()
    fake.redirect_uris.append(f"{live_auth.url}/login/acme/callback")
    with live_auth.app.app_context():
        services.add_provider(
            name="acme", type_="oidc", issuer=fake.url, client_id="our-client", client_secret="our-secret"
        )
    yield fake
    fake.stop()


def our_user_sub(live_auth, email):
    from authserver.accounts.services import find_user_by_email

    return live_auth.run(lambda: find_user_by_email(email).sub)


def test_third_party_app_gets_tokens_after_sign_in_through_an_upstream(live_auth, upstream, page, callback):
    client = live_auth.client(name="Notes app", scope="openid email", redirect_uri=callback)
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(8)
    request_url = authorize_url(live_auth, client, challenge, state, scope="openid email")

    page.goto(request_url)
    assert page.url.startswith(live_auth.url + "/login?next=")
    button = page.locator("a[data-provider=acme]")
    assert button.inner_text() == "Continue with Acme"
    button.click()
    page.wait_for_load_state()
    # Back from the upstream, the app's request resumed unaltered: now the consent page.
    assert page.url == request_url
    assert "Notes app" in page.locator("h1").inner_text()
    page.click("button[name=decision][value=allow]")
    page.wait_for_url(callback + "?*")

    answer = query_of(page.url)
    assert answer["state"] == state
    tokens = exchange_code(live_auth, client, answer["code"], verifier).json()
    keys = KeySet.import_key_set(requests.get(live_auth.metadata()["jwks_uri"], timeout=10).json())
    claims = jwt.decode(tokens["id_token"], keys).claims
    assert claims["sub"] == our_user_sub(live_auth, "ada@example.com") != upstream.user["sub"]
    assert upstream.token_requests[0]["auth_method"] == "client_secret_basic"


def test_giving_up_at_the_upstream_returns_access_denied_to_the_app(live_auth, upstream, page, callback):
    upstream.misbehave = "deny"
    client = live_auth.client(name="Mail app", scope="openid", redirect_uri=callback)
    page.goto(authorize_url(live_auth, client, pkce_pair()[1], "s-cancel"))
    page.click("a[data-provider=acme]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Sign-in cancelled"
    page.click("a[data-action=return-to-client]")
    page.wait_for_url(callback + "?*")
    answer = query_of(page.url)
    assert (answer["error"], answer["state"], answer["iss"]) == ("access_denied", "s-cancel", live_auth.url)
