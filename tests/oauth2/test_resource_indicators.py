"""Resource indicators (RFC 8707) at the authorization server: what a token's audience may be."""

from __future__ import annotations

import pytest

from authserver.clients.services import disable_client
from tests.support.oauth import STATE
from tests.support.oauth import authorization_params
from tests.support.oauth import exchange_code
from tests.support.oauth import introspect
from tests.support.oauth import query_of
from tests.support.oauth import refresh
from tests.support.oauth import serve_auth
from tests.support.oauth import token_request

MODELS = "https://models.example"
SEARCH = "https://search.example/api"
ELSEWHERE = "https://unknown.example"


@pytest.fixture
def resource_servers(live_auth):
    """Two registered resource servers; the first introspects for the tests."""
    return [live_auth.client(redirect_uri=None, resource_server=True, resource_url=url) for url in (MODELS, SEARCH)]


def audience(live_auth, resource_servers, access_token: str):
    info = introspect(live_auth, resource_servers[0], access_token).json()
    assert info["active"] is True
    return info.get("aud")


def client_credentials(live_auth, client, *resources):
    return token_request(live_auth, client, {"grant_type": "client_credentials", "resource": list(resources)})


def test_client_credentials_token_is_for_every_resource_named(live_auth, resource_servers):
    partner = live_auth.client(redirect_uri=None)
    # A lone "/" path is the bare origin: the MCP SDK writes resource URLs that way.
    response = client_credentials(live_auth, partner, MODELS + "/", SEARCH, MODELS)
    assert response.status_code == 200, response.text
    assert audience(live_auth, resource_servers, response.json()["access_token"]) == [MODELS, SEARCH]


@pytest.mark.parametrize("resource", [ELSEWHERE, MODELS + "#fragment", "models.example", SEARCH + "/other"])
def test_unknown_or_malformed_resource_is_invalid_target(live_auth, resource_servers, resource):
    partner = live_auth.client(redirect_uri=None)
    response = client_credentials(live_auth, partner, MODELS, resource)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"


def test_no_resource_and_no_default_means_no_audience(live_auth, resource_servers):
    partner = live_auth.client(redirect_uri=None)
    response = client_credentials(live_auth, partner)
    assert "aud" not in introspect(live_auth, resource_servers[0], response.json()["access_token"]).json()


def test_a_disabled_resource_server_is_no_target(live_auth, resource_servers):
    partner = live_auth.client(redirect_uri=None)
    live_auth.run(disable_client, resource_servers[1].client_id)
    live_auth.app.extensions["authserver.oauth2"].resources.ttl = 0  # the admin change, without waiting a second
    assert client_credentials(live_auth, partner, SEARCH).json()["error"] == "invalid_target"


def test_authorization_request_for_unknown_resource_goes_back_with_invalid_target(live_auth, resource_servers):
    client = live_auth.client()
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    response = browser.authorize(authorization_params(client, resource=[MODELS, ELSEWHERE]))
    assert response.is_redirect
    params = query_of(response.headers["Location"])
    assert params["error"] == "invalid_target" and params["state"] == STATE and params["iss"] == live_auth.url


def test_code_exchange_narrows_and_refresh_narrows_but_never_widens(live_auth, resource_servers):
    client = live_auth.client()
    code, verifier = live_auth.code(client, resource=[MODELS, SEARCH])
    outside = token_request(
        live_auth,
        client,
        {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": client.redirect_uri,
            "resource": ELSEWHERE,
        },
    )
    assert outside.json()["error"] == "invalid_target"
    # The refused exchange did not use the code up.
    tokens = exchange_code(live_auth, client, code, verifier).json()
    assert audience(live_auth, resource_servers, tokens["access_token"]) == [MODELS, SEARCH]

    narrowed = token_request(
        live_auth, client, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "resource": SEARCH}
    ).json()
    assert audience(live_auth, resource_servers, narrowed["access_token"]) == [SEARCH]
    widened = token_request(
        live_auth,
        client,
        {"grant_type": "refresh_token", "refresh_token": narrowed["refresh_token"], "resource": [SEARCH, MODELS]},
    )
    assert widened.status_code == 400 and widened.json()["error"] == "invalid_target"
    # Without a resource, a refresh keeps the audience it had.
    kept = refresh(live_auth, client, narrowed["refresh_token"]).json()
    assert audience(live_auth, resource_servers, kept["access_token"]) == [SEARCH]


def test_code_exchange_may_name_fewer_resources_than_authorized(live_auth, resource_servers):
    client = live_auth.client()
    code, verifier = live_auth.code(client, resource=[MODELS, SEARCH])
    tokens = token_request(
        live_auth,
        client,
        {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": client.redirect_uri,
            "resource": MODELS,
        },
    ).json()
    assert audience(live_auth, resource_servers, tokens["access_token"]) == [MODELS]


@pytest.fixture
def with_default(config):
    """An authorization server whose AUTHSERVER_DEFAULT_RESOURCE is MODELS."""
    with serve_auth(config, default_resource=MODELS) as live:
        yield live


def test_default_resource_is_the_audience_of_requests_naming_none(with_default):
    live = with_default
    servers = [live.client(redirect_uri=None, resource_server=True, resource_url=url) for url in (MODELS, SEARCH)]
    partner = live.client(redirect_uri=None)
    assert audience(live, servers, client_credentials(live, partner).json()["access_token"]) == [MODELS]
    assert audience(live, servers, client_credentials(live, partner, SEARCH).json()["access_token"]) == [SEARCH]

    client = live.client()
    code, verifier = live.code(client)
    # The person authorized the default resource only: the code cannot be turned into a token for another.
    elsewhere = token_request(
        live,
        client,
        {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": client.redirect_uri,
            "resource": SEARCH,
        },
    )
    assert elsewhere.json()["error"] == "invalid_target"
    tokens = exchange_code(live, client, code, verifier).json()
    assert audience(live, servers, tokens["access_token"]) == [MODELS]
