"""DPoP (RFC 9449) end to end over real HTTP: the token endpoint binds tokens to a key, introspection
names it, the resource server wants a proof of it with every call. Proofs are made with PyJWT
(tests/support/dpop.py), not with the server's joserfc code.

One authorization server and one resource server per backend serve the whole module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
import pytest
import requests

from authserver import create_app as create_auth_app
from authserver.registration.services import create_initial_access_token
from resource import create_app as create_resource_app
from shared.config import Config
from tests.resource.conftest import redis_server  # noqa: F401  (a session fixture shared with tests/resource)
from tests.resource.e2e import ALL
from tests.resource.e2e import register
from tests.support.dpop import DPoPKey
from tests.support.live_server import LiveServer
from tests.support.oauth import LiveAuth
from tests.support.oauth import RegisteredClient
from tests.support.oauth import auth_config
from tests.support.oauth import authorization_params
from tests.support.oauth import introspect
from tests.support.oauth import query_of
from tests.support.oauth import serve_auth

CHAT = {"model": "demo-chat", "messages": [{"role": "user", "content": "hello"}]}


@dataclass
class DPoPStack:
    auth: LiveAuth
    resource: LiveServer
    resource_client: RegisteredClient
    partner: RegisteredClient
    config: Config

    def client_credentials(
        self, key: DPoPKey, client: RegisteredClient | None = None, scope: str = ALL
    ) -> requests.Response:
        client = client or self.partner
        data = {"grant_type": "client_credentials", "scope": scope}
        return key.post_token(self.auth.token_endpoint, data, auth=(client.client_id, client.client_secret))

    def bound_token(self, key: DPoPKey) -> str:
        response = self.client_credentials(key)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def url(self, path: str) -> str:
        return self.resource.url + path


def start_resource_server(auth: LiveAuth, resource_client: RegisteredClient, directory, **overrides) -> LiveServer:
    server = LiveServer()
    config = Config.from_env(
        environ={},
        instance_path=directory,
        secret_key="unused",
        resource_issuer=auth.url,
        resource_client_id=resource_client.client_id,
        resource_client_secret=resource_client.client_secret,
        testing=True,
        **{"resource_url": server.url, **overrides},
    )
    return server.start(create_resource_app(config))


def stop_resource_server(server: LiveServer) -> None:
    server.stop()
    server.app.extensions["resource"].close()


@pytest.fixture(scope="module")
def stack(module_database_url, tmp_path_factory):
    config = auth_config(module_database_url, tmp_path_factory.mktemp("dpop-auth"))
    with serve_auth(config) as auth:
        resource_client, partner = register(auth)
        resource = start_resource_server(auth, resource_client, tmp_path_factory.mktemp("dpop-resource"))
        yield DPoPStack(auth, resource, resource_client, partner, config.replace(issuer=auth.url))
        stop_resource_server(resource)


def error_of(response: requests.Response) -> str:
    return response.json()["error"]


# --- the token endpoint ---------------------------------------------------------------------------


def test_metadata_names_the_proof_algorithms(stack):
    metadata = stack.auth.metadata()
    assert "ES256" in metadata["dpop_signing_alg_values_supported"]
    assert not {"none", "HS256"} & set(metadata["dpop_signing_alg_values_supported"])
    resource = requests.get(stack.url("/.well-known/oauth-protected-resource"), timeout=10).json()
    assert "ES256" in resource["dpop_signing_alg_values_supported"]
    assert resource["dpop_bound_access_tokens_required"] is False


def test_a_proof_without_the_nonce_gets_use_dpop_nonce_then_a_bound_token_with_it(stack):
    key = DPoPKey()
    client = stack.partner

    def post() -> requests.Response:
        return requests.post(
            stack.auth.token_endpoint,
            data={"grant_type": "client_credentials", "scope": "models:read"},
            auth=(client.client_id, client.client_secret),
            headers={"DPoP": key.proof("POST", stack.auth.token_endpoint)},
            timeout=10,
        )

    first = post()
    assert first.status_code == 400 and error_of(first) == "use_dpop_nonce"
    key.nonce = first.headers["DPoP-Nonce"]
    second = post()
    assert second.status_code == 200, second.text
    assert second.json()["token_type"] == "DPoP"
    assert second.headers["DPoP-Nonce"]
    answer = introspect(stack.auth, stack.resource_client, second.json()["access_token"]).json()
    assert answer["active"] is True
    assert answer["cnf"] == {"jkt": key.jkt}
    assert answer["token_type"] == "DPoP"


def test_a_token_request_without_a_proof_still_gets_a_bearer_token(stack):
    response = requests.post(
        stack.auth.token_endpoint,
        data={"grant_type": "client_credentials", "scope": "models:read"},
        auth=(stack.partner.client_id, stack.partner.client_secret),
        timeout=10,
    )
    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"
    answer = introspect(stack.auth, stack.resource_client, response.json()["access_token"]).json()
    assert "cnf" not in answer and answer["token_type"] == "Bearer"


def refused_proofs(stack: DPoPStack, key: DPoPKey) -> dict[str, str]:
    endpoint = stack.auth.token_endpoint
    return {
        "wrong htu": key.proof("POST", stack.auth.url + "/oauth/other"),
        "htu of the Host header, not the issuer": key.proof("POST", endpoint.replace("127.0.0.1", "localhost")),
        "wrong htm": key.proof("GET", endpoint),
        "stale iat": key.proof("POST", endpoint, iat=int(time.time()) - 300),
        "iat in the future": key.proof("POST", endpoint, iat=int(time.time()) + 300),
        "no jti": key.proof("POST", endpoint, leave_out=("jti",)),
        "wrong typ": key.proof("POST", endpoint, header={"typ": "JWT"}),
        "private key in jwk": key.proof("POST", endpoint, header={"jwk": {**key.jwk, "d": "AAAA"}}),
        "key that did not sign": key.proof("POST", endpoint, header={"jwk": DPoPKey().jwk}),
        "two proofs": key.proof("POST", endpoint) + ", " + key.proof("POST", endpoint),
        "no JWS": "not-a-proof",
    }


def spoofed_host(url: str) -> str:
    """The Host header a proxy (or an attacker) might pass on: the same server, another name."""
    return url.split("//")[1].split("/")[0].replace("127.0.0.1", "localhost")


def test_each_bad_proof_is_invalid_dpop_proof(stack):
    """Sent with another Host header: htu is checked against the configured issuer, never the Host."""
    key = DPoPKey()
    assert stack.client_credentials(key).status_code == 200  # and the key knows the nonce
    client = stack.partner

    def post(proof: str) -> requests.Response:
        return requests.post(
            stack.auth.token_endpoint,
            data={"grant_type": "client_credentials", "scope": "models:read"},
            auth=(client.client_id, client.client_secret),
            headers={"DPoP": proof, "Host": spoofed_host(stack.auth.url)},
            timeout=10,
        )

    for case, proof in refused_proofs(stack, key).items():
        response = post(proof)
        assert response.status_code == 400, case
        assert error_of(response) == "invalid_dpop_proof", (case, response.text)
        assert response.json()["error_description"], case
    assert post(key.proof("POST", stack.auth.token_endpoint)).status_code == 200


def test_a_symmetric_or_unsigned_proof_is_refused(stack):
    key = DPoPKey()
    stack.client_credentials(key)
    claims = {"jti": "x", "htm": "POST", "htu": stack.auth.token_endpoint, "iat": int(time.time()), "nonce": key.nonce}
    for proof in (
        jwt.encode(claims, "a shared secret of enough length!", algorithm="HS256", headers={"typ": "dpop+jwt"}),
        jwt.encode(claims, None, algorithm="none", headers={"typ": "dpop+jwt", "jwk": key.jwk}),
    ):
        response = requests.post(
            stack.auth.token_endpoint,
            data={"grant_type": "client_credentials"},
            auth=(stack.partner.client_id, stack.partner.client_secret),
            headers={"DPoP": proof},
            timeout=10,
        )
        assert response.status_code == 400 and error_of(response) == "invalid_dpop_proof"


def test_a_replayed_proof_is_refused_by_this_worker_and_by_another(stack):
    """The jti store is shared: a second app on the same database and issuer stands in for a second worker."""
    key = DPoPKey()
    stack.client_credentials(key)
    proof = key.proof("POST", stack.auth.token_endpoint)
    auth = (stack.partner.client_id, stack.partner.client_secret)
    data = {"grant_type": "client_credentials"}
    worker = LiveServer()
    app = create_auth_app(stack.config)
    worker.start(app)
    try:
        first = requests.post(stack.auth.token_endpoint, data=data, auth=auth, headers={"DPoP": proof}, timeout=10)
        assert first.status_code == 200, first.text
        again = requests.post(stack.auth.token_endpoint, data=data, auth=auth, headers={"DPoP": proof}, timeout=10)
        elsewhere = requests.post(
            worker.url + "/oauth/token", data=data, auth=auth, headers={"DPoP": proof}, timeout=10
        )
    finally:
        worker.stop()
        app.extensions["authserver.db"].dispose()
    for refused in (again, elsewhere):
        assert refused.status_code == 400 and error_of(refused) == "invalid_dpop_proof"
        assert "already used" in refused.json()["error_description"]


def test_a_client_that_requires_dpop_gets_no_token_without_a_proof(stack):
    client = stack.auth.client(redirect_uri=None, scope="models:read", name="Strict", require_dpop=True)
    without = requests.post(
        stack.auth.token_endpoint,
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )
    assert without.status_code == 400 and error_of(without) == "invalid_dpop_proof"
    with_proof = stack.client_credentials(DPoPKey(), client, scope="models:read")
    assert with_proof.status_code == 200 and with_proof.json()["token_type"] == "DPoP"


def test_rfc7591_registers_and_echoes_dpop_bound_access_tokens(stack):
    initial = stack.auth.run(lambda: create_initial_access_token(max_uses=2)[1])
    endpoint = stack.auth.metadata()["registration_endpoint"]
    body = {"client_name": "Agent", "grant_types": ["client_credentials"], "scope": "models:read"}
    bad = requests.post(
        endpoint,
        headers={"Authorization": f"Bearer {initial}"},
        json={**body, "dpop_bound_access_tokens": "yes"},
        timeout=10,
    )
    assert bad.status_code == 400 and error_of(bad) == "invalid_client_metadata"
    registered = requests.post(
        endpoint,
        headers={"Authorization": f"Bearer {initial}"},
        json={**body, "dpop_bound_access_tokens": True},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["dpop_bound_access_tokens"] is True
    refused = requests.post(
        stack.auth.token_endpoint,
        data={"grant_type": "client_credentials"},
        auth=(registered.json()["client_id"], registered.json()["client_secret"]),
        timeout=10,
    )
    assert refused.status_code == 400 and error_of(refused) == "invalid_dpop_proof"


def test_a_public_clients_code_and_refresh_tokens_are_bound_to_its_key(stack):
    client = stack.auth.client(scope="openid models:read", auth_method="none", name="App")
    key = DPoPKey()
    code, verifier = stack.auth.code(client, scope="openid models:read", dpop_jkt=key.jkt)
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": client.redirect_uri,
        "code_verifier": verifier,
        "client_id": client.client_id,
    }
    # §10: the code was bound to the key at authorization; another key cannot redeem it (nor spend it).
    stranger = stack_post(stack, DPoPKey(), exchange)
    assert stranger.status_code == 400 and error_of(stranger) == "invalid_dpop_proof"
    tokens = key.post_token(stack.auth.token_endpoint, exchange)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["token_type"] == "DPoP"
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": tokens.json()["refresh_token"],
        "client_id": client.client_id,
    }
    without = requests.post(stack.auth.token_endpoint, data=refresh, timeout=10)
    other_key = stack_post(stack, DPoPKey(), refresh)
    for refused in (without, other_key):
        assert refused.status_code == 400 and error_of(refused) == "invalid_dpop_proof", refused.text
    refreshed = key.post_token(stack.auth.token_endpoint, refresh)
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["token_type"] == "DPoP"
    answer = introspect(stack.auth, stack.resource_client, refreshed.json()["access_token"]).json()
    assert answer["cnf"] == {"jkt": key.jkt}


def test_a_malformed_dpop_jkt_is_refused_at_authorization(stack):
    client = stack.auth.client(scope="openid", auth_method="none", name="App")
    browser = stack.auth.browser()
    browser.sign_in(stack.auth.user())
    response = browser.authorize(authorization_params(client, dpop_jkt="not a thumbprint"))
    assert response.is_redirect
    assert query_of(response.headers["Location"])["error"] == "invalid_request"


def stack_post(stack: DPoPStack, key: DPoPKey, data: dict) -> requests.Response:
    return key.post_token(stack.auth.token_endpoint, data)


# --- the resource server --------------------------------------------------------------------------


def test_a_bound_token_works_with_proofs_on_v1_and_mcp(stack):
    key = DPoPKey()
    token = stack.bound_token(key)
    me = key.call("GET", stack.url("/v1/me"), token)
    assert me.status_code == 200, me.text
    assert me.json()["client_id"] == stack.partner.client_id
    chat = key.call("POST", stack.url("/v1/chat/completions"), token, json=CHAT)
    assert chat.status_code == 200, chat.text
    assert chat.json()["choices"][0]["message"]["content"]
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    mcp = requests.post(
        stack.url("/mcp"),
        json=initialize,
        headers={
            "Authorization": f"DPoP {token}",
            "DPoP": key.proof("POST", stack.url("/mcp"), access_token=token),
            "Accept": "application/json, text/event-stream",
        },
        timeout=10,
    )
    assert mcp.status_code == 200, mcp.text


def dpop_refusal(response: requests.Response, error: str) -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith(f'DPoP error="{error}"'), challenge
    assert 'algs="' in challenge and "ES256" in challenge
    assert 'resource_metadata="' in challenge
    assert response.json()["error"]["code"] == error


def test_each_bad_proof_at_the_resource_server_is_refused(stack):
    key = DPoPKey()
    token = stack.bound_token(key)
    url = stack.url("/v1/me")
    cases = {
        "proof by another key": DPoPKey().proof("GET", url, access_token=token),
        "no ath": key.proof("GET", url),
        "ath of another token": key.proof("GET", url, access_token=token + "x"),
        "wrong htu": key.proof("GET", stack.url("/v1/models"), access_token=token),
        "htu of the Host header, not RESOURCE_URL": key.proof(
            "GET", url.replace("127.0.0.1", "localhost"), access_token=token
        ),
        "wrong htm": key.proof("POST", url, access_token=token),
        "stale iat": key.proof("GET", url, access_token=token, iat=int(time.time()) - 300),
    }
    host = spoofed_host(url)  # htu is RESOURCE_URL's, whatever the Host header says
    for case, proof in cases.items():
        response = requests.get(
            url, headers={"Authorization": f"DPoP {token}", "DPoP": proof, "Host": host}, timeout=10
        )
        dpop_refusal(response, "invalid_dpop_proof")
    missing = requests.get(url, headers={"Authorization": f"DPoP {token}"}, timeout=10)
    dpop_refusal(missing, "invalid_dpop_proof")
    good = {"Authorization": f"DPoP {token}", "DPoP": key.proof("GET", url, access_token=token), "Host": host}
    assert requests.get(url, headers=good, timeout=10).status_code == 200


def test_a_replayed_proof_is_refused_at_the_resource_server(stack):
    key = DPoPKey()
    token = stack.bound_token(key)
    url = stack.url("/v1/me")
    headers = {"Authorization": f"DPoP {token}", "DPoP": key.proof("GET", url, access_token=token)}
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    dpop_refusal(requests.get(url, headers=headers, timeout=10), "invalid_dpop_proof")


def test_a_bound_token_sent_as_bearer_is_refused_and_a_bearer_token_sent_as_dpop_too(stack):
    key = DPoPKey()
    token = stack.bound_token(key)
    as_bearer = requests.get(stack.url("/v1/me"), headers={"Authorization": f"Bearer {token}"}, timeout=10)
    dpop_refusal(as_bearer, "invalid_token")
    bearer = requests.post(
        stack.auth.token_endpoint,
        data={"grant_type": "client_credentials", "scope": "models:read"},
        auth=(stack.partner.client_id, stack.partner.client_secret),
        timeout=10,
    ).json()["access_token"]
    dpop_refusal(key.call("GET", stack.url("/v1/me"), bearer), "invalid_token")
    assert requests.get(stack.url("/v1/me"), headers={"Authorization": f"Bearer {bearer}"}, timeout=10).ok


def test_a_proof_replayed_to_another_resource_server_process_sharing_redis_is_refused(stack, redis_server, tmp_path):
    """Two resource servers with one Redis stand for two processes; they share one RESOURCE_URL."""
    first = start_resource_server(stack.auth, stack.resource_client, tmp_path / "one", redis_url=redis_server.url)
    second_server = start_resource_server(
        stack.auth, stack.resource_client, tmp_path / "two", redis_url=redis_server.url, resource_url=first.url
    )
    try:
        key = DPoPKey()
        token = stack.bound_token(key)
        proof = key.proof("GET", first.url + "/v1/me", access_token=token)
        headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
        assert requests.get(first.url + "/v1/me", headers=headers, timeout=10).status_code == 200
        dpop_refusal(requests.get(second_server.url + "/v1/me", headers=headers, timeout=10), "invalid_dpop_proof")
    finally:
        stop_resource_server(first)
        stop_resource_server(second_server)


def test_a_token_exchange_with_a_proof_is_bound_to_the_agents_key(stack):
    app = stack.auth.client(scope="openid models:read", name="Web app")
    person = stack.auth.user_tokens(app, scope="openid models:read")
    agent = stack.auth.client(
        redirect_uri=None,
        scope="models:read",
        name="Agent",
        grant_types=["urn:ietf:params:oauth:grant-type:token-exchange"],
    )
    key = DPoPKey()
    exchanged = key.post_token(
        stack.auth.token_endpoint,
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": person["access_token"],
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "scope": "models:read",
        },
        auth=(agent.client_id, agent.client_secret),
    )
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.json()["token_type"] == "DPoP"
    token = exchanged.json()["access_token"]
    assert introspect(stack.auth, stack.resource_client, token).json()["cnf"] == {"jkt": key.jkt}
    me = key.call("GET", stack.url("/v1/me"), token)
    assert me.status_code == 200 and me.json()["act"] == {"sub": agent.client_id}


def test_a_bound_token_without_an_audience_cannot_be_exchanged_by_another_client(stack):
    app = stack.auth.client(scope="openid models:read", auth_method="none", name="Bound app")
    key = DPoPKey()
    code, verifier = stack.auth.code(app, scope="openid models:read", dpop_jkt=key.jkt)
    bound = key.post_token(
        stack.auth.token_endpoint,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
            "client_id": app.client_id,
        },
    )
    assert bound.status_code == 200 and bound.json()["token_type"] == "DPoP", bound.text
    agent = stack.auth.client(
        redirect_uri=None,
        scope="models:read",
        name="Agent holding a stolen token",
        grant_types=["urn:ietf:params:oauth:grant-type:token-exchange"],
    )
    refused = requests.post(
        stack.auth.token_endpoint,
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": bound.json()["access_token"],
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
        },
        auth=(agent.client_id, agent.client_secret),
        timeout=10,
    )
    assert refused.status_code == 400 and error_of(refused) == "invalid_grant", refused.text
    assert "DPoP-bound" in refused.json()["error_description"]
