"""``private_key_jwt`` (RFC 7523 §2.2): a client proves itself with a JWT signed by a key it registered."""

from __future__ import annotations

import time

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import ECKey
from joserfc.jwk import OctKey
from joserfc.jwk import RSAKey

from tests.support.oauth import introspect

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _client(live_auth, key, **kwargs):
    return live_auth.client(
        redirect_uri=None, auth_method="private_key_jwt", jwks={"keys": [key.as_dict(private=False)]}, **kwargs
    )


def _assertion(key, client_id, audience, alg, **claims) -> str:
    now = int(time.time())
    payload = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "exp": now + 60,
        "iat": now,
        "jti": f"j-{now}-{time.monotonic_ns()}",
        **claims,
    }
    return jwt.encode({"alg": alg}, payload, key, algorithms=[alg])


def _token(live_auth, assertion):
    return requests.post(
        live_auth.token_endpoint,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
        timeout=5,
    )


def test_authlib_client_authenticates_with_its_rsa_key(live_auth):
    key = RSAKey.generate_key(2048, private=True)
    client = _client(live_auth, key)
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    session = OAuth2Session(client.client_id, key, token_endpoint_auth_method="private_key_jwt")
    session.register_client_auth_method(PrivateKeyJWT(live_auth.token_endpoint))
    token = session.fetch_token(live_auth.token_endpoint, grant_type="client_credentials")
    assert introspect(live_auth, resource, token["access_token"]).json()["sub"] == client.client_id


def test_es256_assertion_to_the_issuer_audience_is_accepted_once(live_auth):
    key = ECKey.generate_key("P-256", private=True)
    client = _client(live_auth, key)
    assertion = _assertion(key, client.client_id, live_auth.url, "ES256")
    assert _token(live_auth, assertion).status_code == 200
    replay = _token(live_auth, assertion)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_client"


def test_bad_assertions_are_invalid_client(live_auth):
    key = RSAKey.generate_key(2048, private=True)
    other = RSAKey.generate_key(2048, private=True)
    client = _client(live_auth, key)
    cases = [
        _assertion(other, client.client_id, live_auth.token_endpoint, "RS256"),
        _assertion(key, client.client_id, "https://other.example/token", "RS256"),
        _assertion(key, client.client_id, live_auth.token_endpoint, "RS256", exp=int(time.time()) - 120),
        _assertion(key, client.client_id, live_auth.token_endpoint, "RS256", iss="someone-else"),
        _assertion(OctKey.generate_key(256), client.client_id, live_auth.token_endpoint, "HS256"),
        "not.a.jwt",
    ]
    for assertion in cases:
        response = _token(live_auth, assertion)
        assert response.status_code == 400 and response.json()["error"] == "invalid_client", assertion
    # An empty assertion is no credentials at all: 401 naming the scheme to use (RFC 6749 §5.2).
    response = _token(live_auth, "")
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_a_secret_client_cannot_switch_to_assertions_nor_an_assertion_client_to_secrets(live_auth):
    key = RSAKey.generate_key(2048, private=True)
    jwt_client = _client(live_auth, key)
    secret_client = live_auth.client(redirect_uri=None)
    assertion = _assertion(key, secret_client.client_id, live_auth.token_endpoint, "RS256")
    assert _token(live_auth, assertion).json()["error"] == "invalid_client"
    response = requests.post(
        live_auth.token_endpoint,
        data={"grant_type": "client_credentials"},
        auth=(jwt_client.client_id, "guess"),
        timeout=5,
    )
    assert response.status_code == 401
