"""Pushed authorization requests (RFC 9126) end to end over real HTTP: Authlib's OAuth 2 client
pushes the request, a person signs in and consents, the client exchanges the code."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import RSAKey
from sqlalchemy import update

from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.tokens.models import PushedAuthorizationRequest
from tests.support.oauth import CALLBACK
from tests.support.oauth import STATE
from tests.support.oauth import authorization_params
from tests.support.oauth import exchange_code
from tests.support.oauth import pkce_pair
from tests.support.oauth import query_of
from tests.support.oauth import serve_auth

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"


def _session(client, **kwargs) -> OAuth2Session:
    return OAuth2Session(
        client.client_id,
        client.client_secret,
        scope="openid email",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
        **kwargs,
    )


def _push(live_auth, session: OAuth2Session, **params) -> requests.Response:
    """POST the authorization request's parameters to the PAR endpoint, authenticated as at the token endpoint."""
    if session.token_endpoint_auth_method in ("none", "client_secret_post"):
        params.pop("client_id")  # Authlib's client authentication puts it in the body itself
    return session.post(
        live_auth.url + "/oauth/par",
        data=params,
        auth=session.client_auth(session.token_endpoint_auth_method),
        withhold_token=True,
        timeout=10,
    )


def _pushed(live_auth, session: OAuth2Session, verifier: str, **extra) -> dict:
    """Push what Authlib would have put in the authorization URL; the answer, with the ``state`` sent."""
    url, state = session.create_authorization_url(live_auth.authorize_endpoint, code_verifier=verifier, **extra)
    response = _push(live_auth, session, **query_of(url))
    assert response.status_code == 201, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return {**response.json(), "state": state}


def _expect_page(response: requests.Response, text: str) -> None:
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert text in response.text


def test_metadata_advertises_the_endpoint(live_auth):
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        metadata = requests.get(live_auth.url + path, timeout=10).json()
        assert metadata["pushed_authorization_request_endpoint"] == live_auth.url + "/oauth/par"
        assert metadata["require_pushed_authorization_requests"] is False


def test_confidential_client_pushes_then_the_person_consents_and_the_code_is_exchanged(live_auth):
    client = live_auth.client()
    user = live_auth.user()
    session = _session(client)
    verifier = "v" * 64
    pushed = _pushed(live_auth, session, verifier, nonce="n-1")
    assert pushed["request_uri"].startswith(REQUEST_URI_PREFIX)
    assert 60 <= pushed["expires_in"] <= 90
    browser = live_auth.browser()
    browser.sign_in(user)
    # RFC 9126 §4: only client_id and request_uri count; a parameter added in the browser is ignored.
    response = browser.authorize(
        {
            "client_id": client.client_id,
            "request_uri": pushed["request_uri"],
            "scope": "openid profile",
            "redirect_uri": "http://127.0.0.1:9/evil",
        }
    )
    callback = response.headers["Location"]
    assert callback.startswith(CALLBACK)
    assert query_of(callback)["state"] == pushed["state"]
    token = session.fetch_token(live_auth.token_endpoint, authorization_response=callback, code_verifier=verifier)
    assert token["scope"] == "openid email"
    assert token["id_token"] and token["refresh_token"]

    # Single use: the same request_uri again is shown to the person, never redirected.
    again = browser.authorize({"client_id": client.client_id, "request_uri": pushed["request_uri"]})
    _expect_page(again, "already used")


def test_public_client_pushes_and_the_person_signs_in_on_the_way(live_auth):
    """The request_uri stays with the first browser that opened it, through the sign-in that renews its session."""
    client = live_auth.client(auth_method="none")
    user = live_auth.user()
    session = _session(client, token_endpoint_auth_method="none")
    verifier, _challenge = pkce_pair()
    pushed = _pushed(live_auth, session, verifier, prompt="login")
    browser = live_auth.browser()
    browser.sign_in(user)
    params = {"client_id": client.client_id, "request_uri": pushed["request_uri"]}
    first = browser.http.get(live_auth.authorize_endpoint, params=params, allow_redirects=False, timeout=10)
    assert first.status_code == 302
    # The way back to the authorization endpoint carries the request_uri, not the request.
    next_url = query_of(first.headers["Location"])["next"]
    assert next_url == "/oauth/authorize?" + urlencode(params)
    [binding] = [c for c in first.raw.headers.getlist("Set-Cookie") if c.startswith("authserver_par_browser=")]
    assert {"HttpOnly", "SameSite=Lax", "Path=/oauth/authorize"} <= {part.strip() for part in binding.split(";")}

    # Another browser (someone who saw the link, signed in or not) gets a page, and takes nothing over.
    for intruder_user in (None, live_auth.user()):
        intruder = live_auth.browser()
        if intruder_user is not None:
            intruder.sign_in(intruder_user)
        _expect_page(intruder.authorize(params), "already open in another browser")

    browser.login(user, next_url)
    response = browser.authorize(params)
    callback = query_of(response.headers["Location"])
    token = exchange_code(live_auth, client, callback["code"], verifier)
    assert token.status_code == 200, token.text


def test_an_expired_request_uri_is_refused(live_auth):
    client = live_auth.client()
    pushed = _pushed(live_auth, _session(client), "v" * 64)

    def expire():
        db_session().execute(update(PushedAuthorizationRequest).values(expires_at=utcnow() - timedelta(seconds=1)))
        db_session().commit()

    live_auth.run(expire)
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    response = browser.authorize({"client_id": client.client_id, "request_uri": pushed["request_uri"]})
    _expect_page(response, "expired")


def test_a_request_uri_of_another_client_or_unknown_is_refused(live_auth):
    client = live_auth.client()
    other = live_auth.client()
    pushed = _pushed(live_auth, _session(client), "v" * 64)
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    response = browser.authorize({"client_id": other.client_id, "request_uri": pushed["request_uri"]})
    _expect_page(response, "unknown or was issued to another app")
    unknown = browser.authorize({"client_id": client.client_id, "request_uri": REQUEST_URI_PREFIX + "nope"})
    _expect_page(unknown, "unknown")
    # Still good for its own client.
    own = browser.authorize({"client_id": client.client_id, "request_uri": pushed["request_uri"]})
    assert own.headers["Location"].startswith(CALLBACK)


def test_a_client_that_requires_par_is_refused_a_plain_authorization_request(live_auth):
    client = live_auth.client(require_par=True)
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    response = browser.authorize(authorization_params(client))
    callback = query_of(response.headers["Location"])
    assert callback["error"] == "invalid_request"
    assert callback["state"] == STATE
    pushed = _pushed(live_auth, _session(client), "v" * 64)
    allowed = browser.authorize({"client_id": client.client_id, "request_uri": pushed["request_uri"]})
    assert "code" in query_of(allowed.headers["Location"])


def test_server_wide_required_par_is_advertised_and_enforced(config):
    with serve_auth(config, require_par=True) as live:
        assert live.metadata()["require_pushed_authorization_requests"] is True
        client = live.client()
        browser = live.browser()
        browser.sign_in(live.user())
        response = browser.authorize(authorization_params(client))
        assert query_of(response.headers["Location"])["error"] == "invalid_request"


def test_bad_client_authentication_at_the_push_is_401(live_auth):
    client = live_auth.client()
    session = OAuth2Session(client.client_id, "wrong-secret", scope="openid", redirect_uri=CALLBACK)
    response = _push(live_auth, session, **authorization_params(client))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_invalid_pushed_requests_get_json_errors_and_no_redirect(live_auth):
    client = live_auth.client()
    session = _session(client)
    cases = [
        ({"redirect_uri": "http://127.0.0.1:8765/other"}, "invalid_request"),
        ({"request_uri": REQUEST_URI_PREFIX + "x"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"resource": "https://unknown.example/"}, "invalid_target"),
        ({"scope": "openid nosuchscope"}, "invalid_scope"),
    ]
    for change, error in cases:
        response = _push(live_auth, session, **authorization_params(client, **change))
        assert response.status_code == 400, (change, response.text)
        assert "Location" not in response.headers
        assert response.json()["error"] == error, (change, response.text)


def test_loopback_redirect_uri_with_another_port_is_accepted_at_the_push(live_auth):
    client = live_auth.client()
    response = _push(
        live_auth, _session(client), **authorization_params(client, redirect_uri="http://127.0.0.1:9999/callback")
    )
    assert response.status_code == 201, response.text


def test_prompt_none_is_judged_at_the_authorization_endpoint_not_at_the_push(live_auth):
    client = live_auth.client()
    session = _session(client)
    pushed = _push(live_auth, session, **authorization_params(client, prompt="none"))
    assert pushed.status_code == 201, pushed.text
    browser = live_auth.browser()  # nobody signed in
    response = browser.authorize({"client_id": client.client_id, "request_uri": pushed.json()["request_uri"]})
    assert query_of(response.headers["Location"])["error"] == "login_required"


def test_private_key_jwt_and_client_secret_post_clients_push(live_auth):
    key = RSAKey.generate_key(2048, private=True)
    client = live_auth.client(auth_method="private_key_jwt", jwks={"keys": [key.as_dict(private=False)]})
    session = OAuth2Session(
        client.client_id,
        key,
        token_endpoint_auth_method="private_key_jwt",
        scope="openid",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
    )
    # RFC 9126 §2: the PAR endpoint's URL is a valid audience for the client assertion.
    session.register_client_auth_method(PrivateKeyJWT(live_auth.url + "/oauth/par"))
    assert _pushed(live_auth, session, "v" * 64)["request_uri"].startswith(REQUEST_URI_PREFIX)
    post = live_auth.client(auth_method="client_secret_post")
    post_session = _session(post, token_endpoint_auth_method="client_secret_post")
    assert _pushed(live_auth, post_session, "v" * 64)["request_uri"].startswith(REQUEST_URI_PREFIX)
