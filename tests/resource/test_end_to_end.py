"""The resource server in front of the real authorization server: tokens from real grants,
validated by real introspection (RFC 7662), refused per RFC 6750."""

from __future__ import annotations

import time

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from authserver import create_app as create_auth_app
from authserver.clients.services import disable_client
from tests.resource.e2e import register
from tests.support.live_server import LiveServer
from tests.support.oauth import LiveAuth
from tests.support.oauth import exchange_code

CHAT = {"model": "demo-chat", "messages": [{"role": "user", "content": "hello"}]}


def test_each_endpoint_requires_its_scope(stack):
    reader = stack.token("models:read")
    models = stack.get("/v1/models", reader)
    assert models.status_code == 200
    model_ids = {model["id"] for model in models.json()["data"]}
    for path, body in (("/v1/embeddings", {"model": "lexical-hash-384", "input": "x"}), ("/v1/chat/completions", CHAT)):
        refused = stack.post(path, reader, body)
        assert refused.status_code == 403
        assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    full = stack.token()
    assert stack.post("/v1/embeddings", full, {"model": "lexical-hash-384", "input": "x"}).status_code == 200
    assert stack.post("/v1/chat/completions", full, CHAT).json()["model"] in model_ids
    me = stack.get("/v1/me", reader).json()
    assert me["sub"] == me["client_id"] == stack.partner.client_id
    assert me["scope"] == "models:read"
    with OAuth2Session(
        stack.partner.client_id, stack.partner.client_secret, scope="chat:create models:read"
    ) as session:
        granted = session.fetch_token(stack.auth.token_endpoint, grant_type="client_credentials")
    assert stack.get("/v1/me", granted["access_token"]).json()["scope"] == granted["scope"]


def test_missing_and_unknown_tokens_are_401(stack):
    for token in (None, "not-a-token-the-server-issued"):
        response = stack.get("/v1/models", token)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
        assert response.json()["error"]["code"] == "invalid_token"


def test_refresh_token_is_not_accepted_as_access_token(stack):
    client = stack.auth.client(scope="openid " + "models:read", name="Web app")
    browser = stack.auth.browser()
    browser.sign_in(stack.auth.user())
    code, verifier = browser.authorization_code(client, scope="openid models:read")
    tokens = exchange_code(stack.auth, client, code, verifier).json()
    assert stack.get("/v1/models", tokens["access_token"]).status_code == 200
    assert stack.get("/v1/models", tokens["refresh_token"]).status_code == 401


def test_user_token_speaks_for_the_user(stack):
    client = stack.auth.client(scope="openid chat:create", name="Web app")
    user = stack.auth.user()
    browser = stack.auth.browser()
    browser.sign_in(user)
    code, verifier = browser.authorization_code(client, scope="openid chat:create")
    token = exchange_code(stack.auth, client, code, verifier).json()["access_token"]
    me = stack.get("/v1/me", token).json()
    assert (me["sub"], me["client_id"]) == (user.sub, client.client_id)


@pytest.mark.parametrize("shared_cache", [False, True], ids=["memory", "redis"])
def test_revocation_takes_effect_within_the_cache_ttl(stack, start_resource, request, shared_cache):
    server = stack.resource
    if shared_cache:
        server = start_resource(
            stack.auth.url,
            stack.resource_client.client_id,
            stack.resource_client.client_secret,
            resource_cache_ttl=1,
            redis_url=request.getfixturevalue("redis_url"),
        )
    token = stack.token("models:read")
    assert stack.get("/v1/models", token, server=server).status_code == 200
    stack.revoke(token)
    revoked_at = time.monotonic()
    # Each accepted request must have been *sent* within the bound: when its answer came back
    # depends on how busy the machine is, not on the cache.
    while True:
        sent = time.monotonic()
        if stack.get("/v1/models", token, server=server).status_code != 200:
            break
        assert sent - revoked_at < 1.5, "revoked token still accepted past RESOURCE_CACHE_TTL"
        time.sleep(0.05)
    refused = stack.get("/v1/models", token, server=server)
    assert refused.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_expired_token_is_refused_and_never_served_from_cache(stack, config, start_resource):
    # A second authorization server on the same database mints two-second tokens.
    minting = LiveServer()
    app = create_auth_app(config.replace(issuer=minting.url, access_token_ttl=2))
    minting.start(app)
    try:
        with OAuth2Session(stack.partner.client_id, stack.partner.client_secret, scope="models:read") as session:
            token = session.fetch_token(minting.url + "/oauth/token", grant_type="client_credentials")["access_token"]
    finally:
        minting.stop()
        app.extensions["authserver.db"].dispose()
    # This resource server would cache for a minute, but never past the token's exp.
    patient = start_resource(
        stack.auth.url, stack.resource_client.client_id, stack.resource_client.client_secret, resource_cache_ttl=60
    )
    me = stack.get("/v1/me", token, server=patient)
    assert me.status_code == 200
    time.sleep(max(0.0, me.json()["exp"] - time.time()) + 0.05)
    response = stack.get("/v1/me", token, server=patient)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_authorization_server_outage_is_503_never_accept(config, start_resource):
    auth_server = LiveServer()
    app = create_auth_app(config.replace(issuer=auth_server.url))
    auth_server.start(app)
    live = LiveAuth(auth_server.url, app)
    resource_client, partner = register(live)
    server = start_resource(live.url, resource_client.client_id, resource_client.client_secret, resource_cache_ttl=0)
    with OAuth2Session(partner.client_id, partner.client_secret, scope="models:read") as session:
        token = session.fetch_token(live.token_endpoint, grant_type="client_credentials")["access_token"]

    def call():
        return requests.get(server.url + "/v1/models", headers={"Authorization": f"Bearer {token}"}, timeout=10)

    assert call().status_code == 200
    auth_server.stop()
    app.extensions["authserver.db"].dispose()
    response = call()
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["error"]["type"] == "server_error"
    assert requests.get(server.url + "/readyz", timeout=10).status_code == 503


def test_readyz_checks_the_real_authorization_server(stack):
    ready = requests.get(stack.resource.url + "/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["checks"] == {"authorization_server": "ok"}


def test_usage_reaches_the_authorization_server_and_the_cli(stack, cli):
    token = stack.token()
    assert stack.post("/v1/chat/completions", token, CHAT).status_code == 200
    assert stack.post("/v1/embeddings", token, {"model": "lexical-hash-384", "input": ["a b c"]}).status_code == 200
    deadline = time.monotonic() + 5
    while True:
        report = cli.ok("usage", "report", "--json").json
        if report and report[0]["requests"] == 2:
            break
        assert time.monotonic() < deadline, report
        time.sleep(0.1)
    (row,) = report
    assert (row["client_id"], row["name"]) == (stack.partner.client_id, "Partner")
    assert (row["tokens_in"], row["tokens_out"]) == (1 + 3, 5)


def test_limits_are_shared_through_redis_across_two_processes(stack, start_resource, resource_process, redis_url):
    settings = {"redis_url": redis_url, "rate_limit_per_minute": 3}
    here = start_resource(
        stack.auth.url, stack.resource_client.client_id, stack.resource_client.client_secret, **settings
    )
    there = resource_process(
        {
            "RESOURCE_ISSUER": stack.auth.url,
            "REDIS_URL": redis_url,
            "RESOURCE_CLIENT_ID": stack.resource_client.client_id,
            "RESOURCE_CLIENT_SECRET": stack.resource_client.client_secret,
            "RESOURCE_RATE_LIMIT_PER_MINUTE": "3",
        }
    )
    if time.time() % 60 > 57:  # counting windows are calendar minutes
        time.sleep(60 - time.time() % 60 + 0.05)
    token = stack.token("models:read")
    headers = {"Authorization": f"Bearer {token}"}
    urls = [here.url, there, here.url, there, here.url]
    statuses = [requests.get(url + "/v1/models", headers=headers, timeout=10).status_code for url in urls]
    assert statuses == [200, 200, 200, 429, 429]
    refused = requests.get(there + "/v1/models", headers=headers, timeout=10)
    assert refused.headers["X-RateLimit-Limit"] == "3" and "Retry-After" in refused.headers


def test_disabled_client_tokens_stop_working(stack):
    token = stack.token("models:read")
    assert stack.get("/v1/models", token).status_code == 200
    stack.auth.run(disable_client, stack.partner.client_id)
    disabled_at = time.monotonic()
    # The authorization server's own one-second lookup cache, then RESOURCE_CACHE_TTL; as above,
    # the bound is on when an accepted request was sent.
    while True:
        sent = time.monotonic()
        if stack.get("/v1/models", token).status_code != 200:
            break
        assert sent - disabled_at < 2.5, "disabled client's token still accepted"
        time.sleep(0.05)
    assert stack.get("/v1/models", token).status_code == 401


def test_a_token_minted_for_another_resource_is_refused_at_v1_and_mcp(stack):
    """RFC 8707 end to end: the audience the authorization server stores is what the resource
    server checks (its RESOURCE_URL is its base URL here)."""
    here, elsewhere = stack.resource.url, "https://other.example"
    for name, url in (("This API", here), ("Another API", elsewhere)):
        stack.auth.client(redirect_uri=None, name=name, resource_server=True, resource_url=url)

    def token_for(resource: str) -> str:
        response = requests.post(
            stack.auth.token_endpoint,
            auth=(stack.partner.client_id, stack.partner.client_secret),
            data={"grant_type": "client_credentials", "resource": resource},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    tools_list = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    ours, theirs = token_for(here + "/"), token_for(elsewhere)
    assert stack.get("/v1/models", ours).status_code == 200
    assert stack.post("/mcp", ours, tools_list).status_code == 200
    for refused in (stack.get("/v1/models", theirs), stack.post("/mcp", theirs, tools_list)):
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
