"""RFC 9068 JWT access tokens, checked by an independent library (PyJWT) against the published JWKS."""

from __future__ import annotations

import hashlib
import shutil
import time
from datetime import timedelta

import jwt
import pytest
import requests
from sqlalchemy import select

from authserver.extensions import db_session
from authserver.tokens.models import SigningKey
from tests.support.oauth import exchange_code
from tests.support.oauth import introspect
from tests.support.oauth import refresh
from tests.support.oauth import token_request

ALGORITHMS = ["RS256", "ES256"]


@pytest.fixture
def database_url(sqlite_template, tmp_path):
    """Token rows are stored as for opaque tokens (tested on both backends); SQLite is enough here."""
    path = tmp_path / "authserver.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


def client_credentials_token(live, client, **extra) -> str:
    response = token_request(live, client, {"grant_type": "client_credentials", **extra})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def verified(live, token: str, audience: str | None = None) -> dict:
    """The claims, once PyJWT checked the signature against the JWKS the metadata names and the
    registered claims RFC 9068 §4 asks a resource server to check."""
    jwks = jwt.PyJWKClient(live.metadata()["jwks_uri"], cache_jwk_set=False)
    key = jwks.get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        key,
        algorithms=ALGORITHMS,
        issuer=live.url,
        audience=audience or live.url,
        options={"require": ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"]},
    )


def test_a_client_credentials_jwt_carries_the_claims_introspection_gives(live_auth):
    live_auth.scope("chat:create")
    resource_server = live_auth.client(redirect_uri=None, resource_server=True)
    client = live_auth.client(redirect_uri=None, scope="chat:create", access_token_format="jwt")
    token = client_credentials_token(live_auth, client)

    header = jwt.get_unverified_header(token)
    assert header["typ"] == "at+jwt" and header["alg"] in ALGORITHMS and header["kid"]
    claims = verified(live_auth, token)
    assert claims["sub"] == claims["client_id"] == client.client_id
    assert claims["scope"] == "chat:create"
    assert claims["exp"] - claims["iat"] == 3600
    described = introspect(live_auth, resource_server, token).json()
    assert described["active"] is True
    assert {name: described[name] for name in ("sub", "client_id", "scope", "exp", "iat", "iss")} == {
        name: claims[name] for name in ("sub", "client_id", "scope", "exp", "iat", "iss")
    }
    # Each token its own jti; an opaque client's tokens stay opaque.
    assert verified(live_auth, client_credentials_token(live_auth, client))["jti"] != claims["jti"]
    opaque = live_auth.client(redirect_uri=None, scope="chat:create")
    assert client_credentials_token(live_auth, opaque).count(".") == 0

    # Still a row: revocation makes introspection answer inactive (the signature stays valid).
    revoked = requests.post(
        live_auth.url + "/oauth/revoke",
        data={"token": token},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )
    assert revoked.status_code == 200
    assert introspect(live_auth, resource_server, token).json() == {"active": False}


def test_a_resource_named_in_the_request_is_the_audience(live_auth):
    live_auth.client(redirect_uri=None, resource_server=True, resource_url="https://api.example")
    client = live_auth.client(redirect_uri=None, access_token_format="jwt")
    token = client_credentials_token(live_auth, client, resource="https://api.example")
    assert verified(live_auth, token, audience="https://api.example")["aud"] == ["https://api.example"]
    with pytest.raises(jwt.InvalidAudienceError):
        verified(live_auth, token, audience="https://other.example")


def test_a_person_s_jwt_names_them_and_their_sign_in_and_refreshes_to_a_new_jwt(live_auth):
    client = live_auth.client(access_token_format="jwt")
    user = live_auth.user()
    code, verifier = live_auth.code(client, user, scope="openid email")
    before = int(time.time())
    tokens = exchange_code(live_auth, client, code, verifier).json()
    claims = verified(live_auth, tokens["access_token"])
    assert claims["sub"] == user.sub and claims["client_id"] == client.client_id
    assert claims["scope"] == "openid email" and claims["email"] == user.email
    assert before - 60 <= claims["auth_time"] <= claims["iat"]
    assert (claims["amr"], claims["acr"]) == (["pwd"], "1")
    # The id_token's at_hash is over the JWT the client received.
    id_token = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    at_hash = hashlib.sha256(tokens["access_token"].encode()).digest()[:16]
    assert id_token["at_hash"] == jwt.utils.base64url_encode(at_hash).decode()

    refreshed = refresh(live_auth, client, tokens["refresh_token"]).json()
    again = verified(live_auth, refreshed["access_token"])
    assert again["sub"] == user.sub and again["auth_time"] == claims["auth_time"] and again["jti"] != claims["jti"]


def test_after_rotation_a_jwt_verifies_until_its_key_leaves_the_jwks(live_auth, cli):
    client = live_auth.client(redirect_uri=None, access_token_format="jwt")
    token = client_credentials_token(live_auth, client)
    old_kid = jwt.get_unverified_header(token)["kid"]

    new_kid = cli.ok("keys", "rotate", "--alg", "ES256", "--json").json["kid"]
    # The retired key stays published while what it signed lives; the server signs with the new one
    # once its per-process key cache (one second) sees the rotation.
    assert verified(live_auth, token)["client_id"] == client.client_id
    deadline = time.monotonic() + 10
    while jwt.get_unverified_header(fresh := client_credentials_token(live_auth, client))["kid"] != new_kid:
        assert time.monotonic() < deadline, "the new key never signed"
        time.sleep(0.05)
    assert jwt.get_unverified_header(fresh)["alg"] == "ES256"
    assert verified(live_auth, fresh)["client_id"] == client.client_id

    def unpublish() -> None:
        row = db_session().scalar(select(SigningKey).where(SigningKey.kid == old_kid))
        row.publish_until = row.retired_at - timedelta(seconds=1)
        db_session().commit()

    live_auth.run(unpublish)
    deadline = time.monotonic() + 10
    while old_kid in {key["kid"] for key in requests.get(live_auth.metadata()["jwks_uri"], timeout=10).json()["keys"]}:
        assert time.monotonic() < deadline, "the retired key never left the JWKS"
        time.sleep(0.05)
    with pytest.raises(jwt.PyJWKClientError):
        verified(live_auth, token)
