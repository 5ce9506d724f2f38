"""Authorization code + PKCE end to end, driven by Authlib's OAuth2 client over real HTTP."""

from __future__ import annotations

import pytest
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
import requests

from tests.support.oauth import CALLBACK
from tests.support.oauth import exchange_code
from tests.support.oauth import query_of


def test_confidential_client_gets_tokens_and_an_id_token(live_auth):
    client = live_auth.client()
    user = live_auth.user(name="Ada Lovelace")
    browser = live_auth.browser()
    browser.sign_in(user)
    session = OAuth2Session(
        client.client_id, client.client_secret, scope="openid profile email", redirect_uri=CALLBACK,
        code_challenge_method="S256",
    )
    verifier = "v" * 64
    url, state = session.create_authorization_url(live_auth.authorize_endpoint, code_verifier=verifier, nonce="n-0S6")
    response = browser.authorize(dict(query_of(url)))
    callback = response.headers["Location"]
    assert callback.startswith(CALLBACK)
    params = query_of(callback)
    assert params["state"] == state
    assert params["iss"] == live_auth.url
    token = session.fetch_token(live_auth.token_endpoint, authorization_response=callback, code_verifier=verifier)
    assert token["token_type"].lower() == "bearer"
    assert token["refresh_token"] and token["access_token"]
    jwks = KeySet.import_key_set(requests.get(live_auth.url + "/oauth/jwks", timeout=5).json())
    claims = jwt.decode(token["id_token"], jwks).claims
    assert claims["iss"] == live_auth.url
    assert claims["aud"] == client.client_id
    assert claims["sub"] == user.sub
    assert claims["nonce"] == "n-0S6"
    assert claims["email"] == user.email
    assert claims["name"] == "Ada Lovelace"
    assert "at_hash" in claims and "auth_time" in claims
    info = requests.get(live_auth.url + "/oauth/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=5)
    assert info.status_code == 200
    assert info.json() == {"sub": user.sub, "name": "Ada Lovelace", "email": user.email, "email_verified": False}
