"""AUTHSERVER_OPEN_REGISTRATION=1: anyone may register a public client, a few an hour per address,
and never with a restricted scope (what MCP clients need)."""

from __future__ import annotations

from shared.config import Config
from tests.registration.conftest import CALLBACK

MCP_CLIENT = {
    "redirect_uris": [CALLBACK],
    "client_name": "MCP client",
    "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"],
    "application_type": "native",
}


def test_off_by_default_and_on_with_1(tmp_path):
    assert Config.from_env(environ={}, instance_path=tmp_path).open_registration is False
    assert Config.from_env(environ={"AUTHSERVER_OPEN_REGISTRATION": "1"}, instance_path=tmp_path).open_registration


def test_a_public_client_registers_without_a_token(open_registrar):
    response = open_registrar.register({**MCP_CLIENT, "token_endpoint_auth_method": "none"})
    assert response.status_code == 201, response.json
    assert response.json["token_endpoint_auth_method"] == "none"
    assert "client_secret" not in response.json


def test_an_omitted_auth_method_becomes_none_and_says_so(open_registrar):
    """RFC 7591 §3.2.1 lets the server substitute a value; the response tells the client."""
    response = open_registrar.register(MCP_CLIENT)
    assert response.status_code == 201
    assert response.json["token_endpoint_auth_method"] == "none" and "client_secret" not in response.json


def test_the_portals_app_type_cannot_make_an_open_registration_confidential(open_registrar):
    response = open_registrar.register({**MCP_CLIENT, "app_type": "web"})
    assert response.status_code == 201
    assert response.json["token_endpoint_auth_method"] == "none" and "client_secret" not in response.json


def test_a_confidential_client_needs_a_token(open_registrar):
    before = open_registrar.client_count()
    response = open_registrar.register({**MCP_CLIENT, "token_endpoint_auth_method": "client_secret_basic"})
    assert response.status_code == 400 and response.json["error"] == "invalid_client_metadata"
    assert open_registrar.client_count() == before
    with_token = open_registrar.register(
        {**MCP_CLIENT, "token_endpoint_auth_method": "client_secret_basic"}, open_registrar.token()
    )
    assert with_token.status_code == 201 and with_token.json["client_secret"]


def test_restricted_scopes_are_left_out(open_registrar):
    open_registrar.scope("chat:create")
    open_registrar.scope("admin:billing", restricted=True)
    response = open_registrar.register({**MCP_CLIENT, "scope": "openid chat:create admin:billing"})
    assert response.status_code == 201
    assert response.json["scope"] == "openid chat:create"


def test_registrations_are_limited_per_address(open_registrar):
    for _ in range(3):
        assert open_registrar.register(MCP_CLIENT).status_code == 201
    before = open_registrar.client_count()
    refused = open_registrar.register(MCP_CLIENT)
    assert refused.status_code == 429
    assert refused.json["error"] == "invalid_request" and refused.headers["Retry-After"]
    assert open_registrar.client_count() == before
    other_address = open_registrar.http.post(
        "/oauth/register", json=MCP_CLIENT, environ_base={"REMOTE_ADDR": "127.0.0.2"}
    )
    assert other_address.status_code == 201
    assert open_registrar.register(MCP_CLIENT, open_registrar.token()).status_code == 201
