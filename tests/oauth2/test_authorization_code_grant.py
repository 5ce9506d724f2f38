"""Authorization code + PKCE end to end over real HTTP (Authlib's OAuth2 client, requests)."""

from __future__ import annotations

import time
from datetime import timedelta

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy import update

from authserver.accounts.services import disable_user
from authserver.clients.services import disable_client
from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.tokens.models import AuthorizationCode
from tests.support.oauth import CALLBACK
from tests.support.oauth import STATE
from tests.support.oauth import authorization_params
from tests.support.oauth import exchange_code
from tests.support.oauth import introspect
from tests.support.oauth import query_of


def test_confidential_client_gets_tokens_and_an_id_token(live_auth):
    client = live_auth.client()
    user = live_auth.user(name="Ada Lovelace")
    browser = live_auth.browser()
    browser.sign_in(user)
    session = OAuth2Session(
        client.client_id,
        client.client_secret,
        scope="openid profile email",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
    )
    verifier = "v" * 64
    url, state = session.create_authorization_url(live_auth.authorize_endpoint, code_verifier=verifier, nonce="n-0S6")
    response = browser.authorize(dict(query_of(url)))
    callback = response.headers["Location"]
    assert callback.startswith(CALLBACK)
    assert response.headers["Cache-Control"] == "no-store"
    params = query_of(callback)
    assert params["state"] == state
    assert params["iss"] == live_auth.url
    token = session.fetch_token(live_auth.token_endpoint, authorization_response=callback, code_verifier=verifier)
    assert token["token_type"].lower() == "bearer"
    assert token["refresh_token"] and token["access_token"]
    assert token["expires_in"] == 3600
    jwks = KeySet.import_key_set(requests.get(live_auth.url + "/oauth/jwks", timeout=5).json())
    claims = jwt.decode(token["id_token"], jwks).claims
    assert claims["iss"] == live_auth.url
    assert claims["aud"] == client.client_id
    assert claims["sub"] == user.sub
    assert claims["nonce"] == "n-0S6"
    assert claims["email"] == user.email
    assert claims["name"] == "Ada Lovelace"
    assert "at_hash" in claims and "auth_time" in claims
    info = requests.get(
        live_auth.url + "/oauth/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=5
    )
    assert info.status_code == 200
    assert info.json() == {"sub": user.sub, "name": "Ada Lovelace", "email": user.email, "email_verified": False}


def test_public_client_with_pkce_through_the_real_login_form(live_auth):
    client = live_auth.client(auth_method="none")
    user = live_auth.user()
    browser = live_auth.browser()
    first = browser.http.get(
        live_auth.authorize_endpoint, params=authorization_params(client), allow_redirects=False, timeout=5
    )
    assert first.status_code == 302
    assert first.headers["Location"].startswith("/login?next=%2Foauth%2Fauthorize%3F")
    browser.login(user)
    code, verifier = browser.authorization_code(client, scope="openid email")
    token = exchange_code(live_auth, client, code, verifier)
    assert token.status_code == 200, token.text
    assert token.headers["Cache-Control"] == "no-store"
    body = token.json()
    assert body["refresh_token"] and body["scope"] == "openid email"


def test_unknown_client_or_unregistered_redirect_uri_shows_an_error_page_and_never_redirects(live_auth):
    client = live_auth.client()
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    for params in (
        authorization_params(client, client_id="no-such-client"),
        authorization_params(client, redirect_uri="https://evil.example/cb"),
        authorization_params(client, redirect_uri="http://localhost:8765/callback"),
        {k: v for k, v in authorization_params(client).items() if k != "client_id"},
    ):
        response = browser.http.get(live_auth.authorize_endpoint, params=params, allow_redirects=False, timeout=5)
        assert response.status_code == 400
        assert "Location" not in response.headers
        assert response.headers["Content-Type"].startswith("text/html")


def test_loopback_redirect_uri_matches_on_any_port(live_auth):
    client = live_auth.client()
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    response = browser.authorize(authorization_params(client, redirect_uri="http://127.0.0.1:9999/callback"))
    assert response.headers["Location"].startswith("http://127.0.0.1:9999/callback?code=")


def test_errors_after_client_validation_go_to_the_redirect_uri_with_state_and_iss(live_auth):
    client = live_auth.client(scope="openid email")
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    cases = {
        "invalid_scope": authorization_params(client, scope="openid profile"),
        "unsupported_response_type": authorization_params(client, response_type="token"),
    }
    for error, params in cases.items():
        response = browser.authorize(params)
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location.startswith(CALLBACK)
        params = query_of(location)
        assert (params["error"], params["state"], params["iss"]) == (error, STATE, live_auth.url)
        assert "code" not in params


def test_deny_sends_access_denied(live_auth):
    client = live_auth.client()
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    response = browser.authorize(authorization_params(client), decision="deny")
    params = query_of(response.headers["Location"])
    assert params["error"] == "access_denied"
    assert params["state"] == STATE and params["iss"] == live_auth.url


def test_consent_page_lists_every_scope_by_description_and_is_remembered(live_auth):
    client = live_auth.client(client_uri="https://app.example", policy_uri="https://app.example/privacy")
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    page = browser.authorize(authorization_params(client, scope="openid email"), decision=None)
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert 'data-scope="openid"' in page.text and 'data-scope="email"' in page.text
    assert "https://app.example/privacy" in page.text
    assert browser.decide(page, "allow").status_code == 303
    # The same or fewer scopes: no page. More scopes, or prompt=consent: the page again.
    assert browser.authorize(authorization_params(client, scope="email"), decision=None).status_code == 302
    assert browser.authorize(authorization_params(client, scope="openid profile"), decision=None).status_code == 200
    assert (
        browser.authorize(authorization_params(client, scope="openid", prompt="consent"), decision=None).status_code
        == 200
    )


def test_prompt_none_answers_login_required_then_consent_required(live_auth):
    client = live_auth.client()
    browser = live_auth.browser()
    response = browser.authorize(authorization_params(client, prompt="none"))
    assert query_of(response.headers["Location"])["error"] == "login_required"
    browser.sign_in(live_auth.user())
    response = browser.authorize(authorization_params(client, prompt="none"))
    assert query_of(response.headers["Location"])["error"] == "consent_required"


def test_prompt_login_forces_a_new_sign_in(live_auth):
    client = live_auth.client()
    user = live_auth.user()
    browser = live_auth.browser()
    browser.sign_in(user)
    params = authorization_params(client, prompt="login")
    response = browser.http.get(live_auth.authorize_endpoint, params=params, allow_redirects=False, timeout=5)
    login_url = response.headers["Location"]
    assert response.status_code == 302 and login_url.startswith("/login?next=")
    assert "prompt" not in login_url
    # The old session no longer counts.
    again = browser.http.get(
        live_auth.authorize_endpoint, params=authorization_params(client), allow_redirects=False, timeout=5
    )
    assert again.headers["Location"].startswith("/login?next=")
    # Signing in again through the form leads back to the request, which now goes on (no loop).
    back = browser.login(user, next_url=query_of(live_auth.url + login_url)["next"])
    response = browser.authorize(query_of(live_auth.url + back.headers["Location"]))
    assert query_of(response.headers["Location"])["state"] == STATE


def test_code_is_bound_to_client_and_redirect_uri(live_auth):
    client = live_auth.client()
    other = live_auth.client()
    code, verifier = live_auth.code(client)
    stolen = exchange_code(live_auth, other, code, verifier)
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    assert stolen.json()["error_description"] == "the authorization code was issued to another client"
    wrong_uri = requests.post(
        live_auth.token_endpoint,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://127.0.0.1:1/callback",
            "code_verifier": verifier,
        },
        auth=(client.client_id, client.client_secret),
        timeout=5,
    )
    assert wrong_uri.json()["error"] == "invalid_grant"
    assert wrong_uri.json()["error_description"] == "redirect_uri does not match the one in the authorization request"
    assert exchange_code(live_auth, client, code, verifier).status_code == 200


def test_reused_code_is_refused_and_revokes_the_tokens_it_issued(live_auth):
    client = live_auth.client()
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    code, verifier = live_auth.code(client)
    first = exchange_code(live_auth, client, code, verifier).json()
    assert introspect(live_auth, resource, first["access_token"]).json()["active"] is True
    second = exchange_code(live_auth, client, code, verifier)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    assert second.json()["error_description"] == (
        "the authorization code was already used; the tokens issued with it are now revoked"
    )
    assert introspect(live_auth, resource, first["access_token"]).json() == {"active": False}
    assert introspect(live_auth, resource, first["refresh_token"]).json() == {"active": False}


def test_a_disabled_user_cannot_exchange_a_code(live_auth):
    client = live_auth.client()
    user = live_auth.user()
    code, verifier = live_auth.code(client, user)
    live_auth.run(disable_user, user.email)
    response = exchange_code(live_auth, client, code, verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert response.json()["error_description"] == "the user's account is disabled"


def test_expired_code_is_invalid_grant(live_auth):
    client = live_auth.client()
    code, verifier = live_auth.code(client)

    def expire():
        db_session().execute(update(AuthorizationCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        db_session().commit()

    live_auth.run(expire)
    response = exchange_code(live_auth, client, code, verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert response.json()["error_description"] == "the authorization code expired; start the authorization again"


def test_unknown_code_is_invalid_grant(live_auth):
    client = live_auth.client()
    response = exchange_code(live_auth, client, "no-such-code", None)
    assert response.status_code == 400 and response.json() == {
        "error": "invalid_grant",
        "error_description": "unknown authorization code",
    }


def test_codes_live_at_most_sixty_seconds(live_auth):
    client = live_auth.client()
    live_auth.code(client)

    def lifetime():
        row = db_session().scalar(select(AuthorizationCode))
        return row.expires_at - row.created_at

    assert live_auth.run(lifetime) <= timedelta(seconds=60)


def test_a_disabled_client_gets_the_error_page_within_a_second(live_auth):
    client = live_auth.client()
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    assert browser.authorize(authorization_params(client), decision=None).status_code == 200
    live_auth.run(disable_client, client.client_id)
    time.sleep(1.05)
    response = browser.authorize(authorization_params(client), decision=None)
    assert response.status_code == 400 and "Location" not in response.headers


def test_an_authorization_request_may_arrive_as_a_form_post(live_auth):
    """OIDC Core §3.1.2.1: the same request as a POST from the client's page."""
    client = live_auth.client()
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    posted = browser.http.post(
        live_auth.authorize_endpoint, data=authorization_params(client), allow_redirects=False, timeout=5
    )
    assert posted.status_code == 303
    page = browser.http.get(live_auth.url + posted.headers["Location"], allow_redirects=False, timeout=5)
    assert page.status_code == 200 and 'name="decision"' in page.text
    response = browser.decide(page, "allow")
    assert query_of(response.headers["Location"])["state"] == STATE
