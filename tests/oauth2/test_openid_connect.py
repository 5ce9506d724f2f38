"""OpenID Connect: discovery, JWKS, id_token signing keys (RS256 default, ES256 on request), id_tokens
on refresh, the sign-in's claims (auth_time, amr, acr), userinfo."""

from __future__ import annotations

import time

import requests
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.jwk import KeySet

from authserver.tokens.keys import add_key
from tests.support.oauth import at_hash
from tests.support.oauth import authorization_params
from tests.support.oauth import exchange_code
from tests.support.oauth import introspect
from tests.support.oauth import query_of
from tests.support.oauth import refresh
from tests.support.oauth import token_request
from tests.support.oauth import verified_id_token


def _jwks(live_auth) -> dict:
    return requests.get(live_auth.url + "/oauth/jwks", timeout=5).json()


def test_metadata_documents_validate_and_name_every_endpoint(live_auth):
    live_auth.scope("models:read")
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        metadata = requests.get(live_auth.url + path, timeout=5).json()
        AuthorizationServerMetadata(metadata).validate()
        OpenIDProviderMetadata(metadata).validate()
        assert metadata["issuer"] == live_auth.url
        for name in (
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "userinfo_endpoint",
            "revocation_endpoint",
            "introspection_endpoint",
            "end_session_endpoint",
            "device_authorization_endpoint",
        ):
            assert metadata[name].startswith(live_auth.url + "/"), name
        assert metadata["end_session_endpoint"] == live_auth.url + "/logout"
        assert metadata["response_types_supported"] == ["code"]
        assert set(metadata["grant_types_supported"]) == {
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code",
        }
        assert metadata["code_challenge_methods_supported"] == ["S256"]
        assert set(metadata["token_endpoint_auth_methods_supported"]) == {
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        }
        assert metadata["introspection_endpoint_auth_methods_supported"] == [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ]
        assert "RS256" in metadata["token_endpoint_auth_signing_alg_values_supported"]
        assert metadata["authorization_response_iss_parameter_supported"] is True
        assert {"openid", "profile", "email", "offline_access", "models:read"} <= set(metadata["scopes_supported"])
        assert "RS256" in metadata["id_token_signing_alg_values_supported"]
        assert {"acr", "amr", "auth_time"} <= set(metadata["claims_supported"])
        assert "acr_values_supported" not in metadata  # acr_values is not honoured: nothing to choose from


def test_id_token_is_rs256_by_default_and_es256_after_rotation_with_the_old_key_still_published(live_auth):
    client = live_auth.client()
    user = live_auth.user()
    first = live_auth.user_tokens(client, user)["id_token"]
    assert jwt.decode(first, KeySet.import_key_set(_jwks(live_auth))).header["alg"] == "RS256"
    live_auth.run(add_key, "ES256")
    second = live_auth.user_tokens(client, user)["id_token"]
    jwks = KeySet.import_key_set(_jwks(live_auth))
    assert len(_jwks(live_auth)["keys"]) == 2
    assert jwt.decode(second, jwks).header["alg"] == "ES256"
    # Signed before the rotation, still verifiable after it.
    assert jwt.decode(first, jwks).claims["sub"] == user.sub


def test_userinfo_honours_the_granted_scopes(live_auth):
    client = live_auth.client()
    user = live_auth.user(name="Grace Hopper")
    token = live_auth.user_tokens(client, user, scope="openid")["access_token"]
    info = requests.get(live_auth.url + "/oauth/userinfo", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert info.json() == {"sub": user.sub}
    token = live_auth.user_tokens(client, user, scope="openid profile")["access_token"]
    info = requests.post(live_auth.url + "/oauth/userinfo", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert info.json() == {"sub": user.sub, "name": "Grace Hopper"}


def test_userinfo_refuses_bad_tokens_and_tokens_without_openid(live_auth):
    response = requests.get(live_auth.url + "/oauth/userinfo", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert requests.get(live_auth.url + "/oauth/userinfo", timeout=5).status_code == 401
    client = live_auth.client()
    token = live_auth.user_tokens(client, live_auth.user(), scope="email")
    assert "id_token" not in token
    response = requests.get(
        live_auth.url + "/oauth/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=5
    )
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"


def test_a_replayed_nonce_is_refused(live_auth):
    client = live_auth.client()
    user = live_auth.user()
    live_auth.user_tokens(client, user, nonce="once")
    browser = live_auth.browser()
    browser.sign_in(user)
    params = authorization_params(client, nonce="once")
    assert "error=invalid_request" in browser.authorize(params).headers["Location"]
    # The same request with a fresh nonce is fine: the refusal was the replay.
    assert "code" in query_of(browser.authorize({**params, "nonce": "twice"}).headers["Location"])


def test_auth_time_is_the_sign_in_time_not_the_token_time(live_auth):
    client = live_auth.client()
    user = live_auth.user()
    browser = live_auth.browser()
    before = int(time.time())
    browser.sign_in(user)
    signed_in = int(time.time())
    time.sleep(1.1)  # so that the token's own time is a later second than the sign-in's
    code, verifier = browser.authorization_code(client)
    token = exchange_code(live_auth, client, code, verifier).json()
    claims = jwt.decode(token["id_token"], KeySet.import_key_set(_jwks(live_auth))).claims
    assert before <= claims["auth_time"] <= signed_in < claims["iat"]


def test_a_refresh_gives_a_new_id_token_for_the_same_sign_in_signed_with_the_current_key(live_auth):
    """OIDC Core §12.2: same iss, sub, aud, auth_time (and amr, acr); a new iat and at_hash; no nonce."""
    client = live_auth.client()
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    user = live_auth.user()
    first = live_auth.user_tokens(client, user, scope="openid email", nonce="n-1")
    original = verified_id_token(live_auth, first["id_token"], client).claims
    assert original["sub"] == user.sub and original["nonce"] == "n-1"
    assert original["amr"] == ["pwd"] and original["acr"] == "1"  # a password sign-in
    assert original["at_hash"] == at_hash(first["access_token"])

    new_key = live_auth.run(lambda: add_key("ES256").kid)
    refreshed = refresh(live_auth, client, first["refresh_token"]).json()
    token = verified_id_token(live_auth, refreshed["id_token"], client)
    assert token.header["kid"] == new_key and token.header["alg"] == "ES256"
    claims = token.claims
    for name in ("iss", "sub", "aud", "auth_time", "amr", "acr", "email"):
        assert claims[name] == original[name], name
    assert "nonce" not in claims and claims["iat"] >= original["iat"]
    assert claims["at_hash"] == at_hash(refreshed["access_token"])
    # Introspection describes the same sign-in (RFC 9068 §2.2.1's names).
    answer = introspect(live_auth, resource, refreshed["access_token"]).json()
    assert (answer["auth_time"], answer["amr"], answer["acr"]) == (original["auth_time"], ["pwd"], "1")

    # A refresh narrowed to leave out openid is no longer an OpenID Connect one: no id_token.
    data = {"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"], "scope": "email"}
    narrowed = token_request(live_auth, client, data).json()
    assert narrowed["scope"] == "email" and "id_token" not in narrowed
