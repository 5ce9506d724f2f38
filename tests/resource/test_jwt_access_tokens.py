"""JWT access tokens (RFC 9068) validated by the resource server itself, against the JWKS of the real
authorization server: no introspection round trip, so they work while it is down; every forgery refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import string
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from authserver import create_app as create_auth_app
from authserver.paths import JWKS_PATH
from authserver.tokens import access_jwt
from authserver.tokens import keys
from resource import access_jwt as local_jwt
from tests.resource.e2e import ALL
from tests.resource.e2e import register
from tests.support.dpop import DPoPKey
from tests.support.live_server import LiveServer
from tests.support.oauth import LiveAuth
from tests.support.oauth import introspect
from tests.support.oauth import token_request

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
CHAT = {"model": "demo-chat", "messages": [{"role": "user", "content": "hello"}]}


class CountingAuthServer:
    """The real authorization server, counting the JWKS fetches, stoppable in the middle of a test."""

    def __init__(self, config):
        self.server = LiveServer()
        self.app = create_auth_app(config.replace(issuer=self.server.url))
        self.jwks_fetches = 0
        self.server.start(self._count)
        self.live = LiveAuth(self.server.url, self.app)
        self.running = True

    def _count(self, environ, start_response):
        self.jwks_fetches += environ["PATH_INFO"] == JWKS_PATH
        return self.app(environ, start_response)

    def stop(self) -> None:
        if self.running:
            self.running = False
            self.server.stop()
            self.app.extensions["authserver.db"].dispose()


@pytest.fixture
def auth(config):
    server = CountingAuthServer(config)
    yield server
    server.stop()


@pytest.fixture
def jwt_stack(auth, start_resource):
    """(auth, resource server, its client, a partner with JWT access tokens)."""
    resource_client, _ = register(auth.live)
    partner = auth.live.client(redirect_uri=None, name="JWT partner", scope=ALL, access_token_format="jwt")
    resource = start_resource(auth.live.url, resource_client.client_id, resource_client.client_secret)
    return auth, resource, resource_client, partner


def jwt_token(auth, client, **extra) -> str:
    response = token_request(auth.live, client, {"grant_type": "client_credentials", **extra})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def call(resource, token: str, path: str = "/v1/me") -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if path == "/v1/me":
        return requests.get(resource.url + path, headers=headers, timeout=10)
    return requests.post(resource.url + path, json=CHAT, headers=headers, timeout=10)


def b64(data: bytes | dict) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_jwt_is_accepted_with_the_authorization_server_stopped(jwt_stack):
    auth, resource, _, partner = jwt_stack
    token = jwt_token(auth, partner)
    opaque = auth.live.client(redirect_uri=None, scope=ALL)
    opaque_token = jwt_token(auth, opaque)
    assert call(resource, token).status_code == 200  # the first JWT fetches the keys
    assert call(resource, opaque_token).status_code == 200
    auth.stop()

    me = call(resource, token)
    assert me.status_code == 200, me.text
    assert me.json()["sub"] == me.json()["client_id"] == partner.client_id
    assert me.json()["scope"] == ALL
    chat = call(resource, token, "/v1/chat/completions")
    assert chat.status_code == 200 and chat.json()["choices"]
    # An opaque token's answer is cached for a while; a new one needs the authorization server.
    assert call(resource, "x" * 43).status_code == 503
    assert auth.jwks_fetches == 1


def test_forgeries_and_tokens_for_others_are_refused(jwt_stack):
    auth, resource, _, partner = jwt_stack
    good = jwt_token(auth, partner)
    assert call(resource, good).status_code == 200
    claims = jwt.decode(good, options={"verify_signature": False})
    header = jwt.get_unverified_header(good)
    public_jwk = next(key for key in auth.live.run(keys.public_jwks)["keys"] if key["kid"] == header["kid"])

    def refused(token: str) -> None:
        response = call(resource, token)
        assert response.status_code == 401, token
        assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')

    # alg none, and HS256 keyed with the public key (RFC 8725 §2.1, §3.1).
    unsigned = f"{b64({**header, 'alg': 'none'})}.{b64(claims)}."
    refused(unsigned)
    hs_input = f"{b64({**header, 'alg': 'HS256'})}.{b64(claims)}"
    for secret in (json.dumps(public_jwk).encode(), public_jwk["n"].encode()):
        refused(hs_input + "." + b64(hmac.new(secret, hs_input.encode(), hashlib.sha256).digest()))
    # The real signature spelled another way: low bits base64 ignores set, a character it skips.
    # One token has one spelling, else a revoked JWT (revoked by its digest) would pass re-spelled.
    head, signature = good.rsplit(".", 1)
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    respelled = signature[:-1] + alphabet[alphabet.index(signature[-1]) + 1]
    lenient = lambda value: base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))  # noqa: E731
    assert lenient(respelled) == lenient(signature)
    refused(f"{head}.{respelled}")
    refused(f"{head}.{signature[:10]}~{signature[10:]}")
    # A signature of the real key over other claims.
    refused(good.rsplit(".", 2)[0] + "." + b64({**claims, "scope": "admin"}) + "." + good.rsplit(".", 1)[1])
    # Correctly signed, but from another issuer, expired, or for another resource.
    sign = lambda changed: auth.live.run(access_jwt.sign, {**claims, **changed})  # noqa: E731
    assert call(resource, sign({})).status_code == 200
    refused(sign({"iss": "https://evil.example"}))
    refused(sign({"exp": int(time.time()) - 120}))
    refused(sign({"aud": ["https://other.example"]}))
    auth.live.client(redirect_uri=None, resource_server=True, resource_url="https://other.example", name="Other")
    other = call(resource, jwt_token(auth, partner, resource="https://other.example"))
    assert other.status_code == 401 and "another resource" in other.json()["error"]["message"]
    # Named for this resource server, it is accepted (the same audience rule as introspected tokens).
    assert call(resource, sign({"aud": [resource.url]})).status_code == 200


def test_an_unknown_kid_fetches_the_keys_once_and_a_flood_of_them_no_more(jwt_stack, monkeypatch):
    auth, resource, _, partner = jwt_stack
    assert call(resource, jwt_token(auth, partner)).status_code == 200
    assert auth.jwks_fetches == 1
    claims = jwt.decode(jwt_token(auth, partner), options={"verify_signature": False})
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def bogus(kid: str) -> str:
        return jwt.encode(claims, stranger, algorithm="RS256", headers={"typ": "at+jwt", "kid": kid})

    monkeypatch.setattr(local_jwt, "MIN_REFRESH_INTERVAL", 0.0)
    assert call(resource, bogus("made-up-1")).status_code == 401
    assert auth.jwks_fetches == 2
    monkeypatch.setattr(local_jwt, "MIN_REFRESH_INTERVAL", 3600.0)
    for n in range(20):
        assert call(resource, bogus(f"made-up-{n}")).status_code == 401
    assert auth.jwks_fetches == 2
    # A rotation while refreshes are held back: the new key's token is introspected instead.
    auth.live.run(keys.add_key, "ES256")
    rotated = jwt_token(auth, partner)
    assert jwt.get_unverified_header(rotated)["alg"] == "ES256"
    assert call(resource, rotated).status_code == 200
    monkeypatch.setattr(local_jwt, "MIN_REFRESH_INTERVAL", 0.0)
    fresh = jwt_token(auth, partner)
    assert call(resource, fresh).status_code == 200
    assert auth.jwks_fetches == 3


def revoke(auth, client, token: str) -> None:
    response = requests.post(
        auth.live.url + "/oauth/revoke",
        data={"token": token},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )
    assert response.status_code == 200


def refused_soon(resource, token: str) -> None:
    deadline = time.monotonic() + 10
    while call(resource, token).status_code != 401:
        assert time.monotonic() < deadline, "the revoked JWT was never refused"
        time.sleep(0.05)


def test_a_revoked_jwt_is_refused_once_the_revocation_reaches_the_resource_server(jwt_stack):
    """Validated locally and remembered, it still goes through the revocations the feed brings."""
    auth, resource, resource_client, partner = jwt_stack
    token = jwt_token(auth, partner)
    assert call(resource, token).status_code == 200
    revoke(auth, partner, token)
    assert introspect(auth.live, resource_client, token).json() == {"active": False}
    refused_soon(resource, token)


def test_with_jwt_introspect_a_jwt_is_introspected_too(jwt_stack, start_resource):
    auth, resource, resource_client, partner = jwt_stack
    checking = start_resource(
        auth.live.url,
        resource_client.client_id,
        resource_client.client_secret,
        resource_cache_ttl=1,
        resource_jwt_introspect=True,
    )
    token = jwt_token(auth, partner)
    assert call(checking, token).status_code == 200 and call(resource, token).status_code == 200
    revoke(auth, partner, token)
    refused_soon(checking, token)
    # It asks the authorization server about every new token: while that is down, only the other answers.
    fresh = jwt_token(auth, partner)
    auth.stop()
    assert call(checking, fresh).status_code == 503
    assert call(resource, fresh).status_code == 200


def test_usage_of_jwt_calls_reaches_the_authorization_server(jwt_stack, cli):
    """Never introspected, the JWT's client is still one this resource server may report usage of."""
    auth, resource, _, partner = jwt_stack
    assert call(resource, jwt_token(auth, partner), "/v1/chat/completions").status_code == 200
    deadline = time.monotonic() + 10
    while not (report := cli.ok("usage", "report", "--json").json):
        assert time.monotonic() < deadline, "the usage was never accepted"
        time.sleep(0.1)
    assert [(row["client_id"], row["requests"]) for row in report] == [(partner.client_id, 1)]


def test_dpop_binding_and_token_exchange_actors_are_claims_of_the_jwt(jwt_stack):
    """``cnf`` and ``act`` reach the resource server from the JWT as they do from introspection."""
    auth, resource, _, partner = jwt_stack
    key = DPoPKey()
    bound = key.post_token(
        auth.live.token_endpoint, {"grant_type": "client_credentials"}, (partner.client_id, partner.client_secret)
    )
    assert bound.status_code == 200 and bound.json()["token_type"] == "DPoP"
    token = bound.json()["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["cnf"] == {"jkt": key.jkt}
    assert key.call("GET", resource.url + "/v1/me", token).status_code == 200
    assert call(resource, token).status_code == 401  # a bound token presented as a bearer token

    app = auth.live.client(scope="openid models:read", name="Web app")
    user = auth.live.user()
    person = auth.live.user_tokens(app, user, scope="openid models:read")
    agent = auth.live.client(
        redirect_uri=None, name="Agent", grant_types=[TOKEN_EXCHANGE], scope=ALL, access_token_format="jwt"
    )
    exchanged = requests.post(
        auth.live.token_endpoint,
        data={
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": person["access_token"],
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
        },
        auth=(agent.client_id, agent.client_secret),
        timeout=10,
    )
    assert exchanged.status_code == 200, exchanged.text
    claims = jwt.decode(exchanged.json()["access_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["client_id"], claims["act"]) == (user.sub, agent.client_id, {"sub": agent.client_id})
    me = call(resource, exchanged.json()["access_token"]).json()
    assert (me["sub"], me["act"]) == (user.sub, {"sub": agent.client_id})
