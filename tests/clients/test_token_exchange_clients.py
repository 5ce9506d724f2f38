"""Who may exchange tokens (RFC 8693): clients an admin registers with the grant type, advertised in
the metadata exactly while an enabled client holds it; never an app that registers itself."""

from __future__ import annotations

import pytest

from authserver import create_app
from authserver.clients.metadata import MetadataError
from authserver.clients.metadata import validate_client_metadata
from tests.support.cli import assert_refused_without_change

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


def test_an_admin_registers_an_exchanging_client_and_the_metadata_lists_the_grant_while_it_is_enabled(cli, config):
    app = create_app(config.replace(lookup_cache_ttl=0))
    try:
        web = app.test_client()

        def advertised() -> bool:
            return TOKEN_EXCHANGE in web.get("/.well-known/oauth-authorization-server").json["grant_types_supported"]

        assert not advertised()
        created = cli.ok("clients", "add", "--name", "Agent", "--grant-type", TOKEN_EXCHANGE, "--json").json
        assert created["grant_types"] == [TOKEN_EXCHANGE]
        assert cli.ok("clients", "show", created["client_id"], "--json").json["grant_types"] == [TOKEN_EXCHANGE]
        assert advertised()
        cli.ok("clients", "disable", created["client_id"])
        assert not advertised()
    finally:
        app.extensions["authserver.db"].dispose()


def test_a_public_client_cannot_exchange_tokens(cli):
    assert_refused_without_change(
        cli,
        ("clients", "list"),
        ("clients", "add", "--name", "SPA", "--auth-method", "none", "--grant-type", TOKEN_EXCHANGE),
        "cannot exchange tokens",
    )


def test_an_app_registering_itself_cannot_ask_for_token_exchange(auth_app):
    with auth_app.app_context(), pytest.raises(MetadataError) as refused:
        validate_client_metadata({"client_name": "Agent", "grant_types": ["client_credentials", TOKEN_EXCHANGE]})
    assert refused.value.errors == {"grant_types": f"{TOKEN_EXCHANGE} is granted by an administrator"}
