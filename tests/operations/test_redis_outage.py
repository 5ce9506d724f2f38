"""Redis stopped while both apps serve: what fails open keeps serving, what must not answer 503."""

from __future__ import annotations

import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey

from tests.resource.e2e import Stack
from tests.resource.e2e import register
from tests.support.accounts import sign_in
from tests.support.oauth import DEFAULT_PASSWORD
from tests.support.oauth import token_request
from tests.support.redis import RedisServer

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def own_redis():
    server = RedisServer().start()
    yield server
    server.stop()


def test_without_redis_sign_in_tokens_and_the_api_keep_working_and_assertions_wait(
    own_redis, database_url, start_auth, start_resource
):
    auth = start_auth(database_url, redis_url=own_redis.url)
    resource_client, partner = register(auth)
    resource = start_resource(
        auth.url,
        resource_client.client_id,
        resource_client.client_secret,
        redis_url=own_redis.url,
        resource_cache_ttl=60,
    )
    stack = Stack(auth, resource, resource_client, partner)
    key = ECKey.generate_key("P-256", private=True)
    assertion_client = auth.client(
        redirect_uri=None, auth_method="private_key_jwt", jwks={"keys": [key.as_dict(private=False)]}
    )
    user = auth.user()
    cached = stack.token()
    assert stack.get("/v1/models", cached).status_code == 200

    own_redis.stop()

    # Sign-in throttle and ended sessions fail open (authserver/state): people can still sign in.
    sign_in(requests.Session(), auth.url, user.email, DEFAULT_PASSWORD)
    fresh = token_request(auth, partner, {"grant_type": "client_credentials", "scope": "models:read"})
    assert fresh.status_code == 200, fresh.text
    # Introspection answers, the cache and the rate limits degrade to this process alone.
    assert stack.get("/v1/models", fresh.json()["access_token"]).status_code == 200
    assert stack.get("/v1/models", cached).status_code == 200
    # A replay check that cannot ask must not say "never seen": 503, in RFC 6749's shape.
    now = int(time.time())
    assertion = jwt.encode(
        {"alg": "ES256"},
        {
            "iss": assertion_client.client_id,
            "sub": assertion_client.client_id,
            "aud": auth.url,
            "exp": now + 60,
            "iat": now,
            "jti": "j1",
        },
        key,
    )
    refused = requests.post(
        auth.token_endpoint,
        timeout=10,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
    )
    assert refused.status_code == 503 and refused.json()["error"] == "temporarily_unavailable"
    assert int(refused.headers["Retry-After"]) > 0
