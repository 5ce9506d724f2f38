"""Restricted scopes: asked for by any app, granted only once an admin approves them for that app."""

from __future__ import annotations

from authserver.clients import services
from authserver.clients.metadata import validate_client_metadata
from authserver.scopes.approvals import approve_scope
from authserver.scopes.approvals import revoke_scope_approval
from tests.support.clients import client_credentials
from tests.support.clients import eventually
from tests.support.oauth import introspect


def test_token_endpoint_and_introspection_follow_approval(live_auth):
    live_auth.scope("chat:create")
    live_auth.scope("admin:all", restricted=True)
    resource_server = live_auth.client(redirect_uri=None, resource_server=True)

    def create():
        metadata = validate_client_metadata(
            {"client_name": "Partner", "app_type": "service", "scope": "chat:create admin:all"}
        )
        registration = services.create_client(metadata, registered_via="portal")
        return registration.client.client_id, registration.client_secret

    client_id, secret = live_auth.run(create)

    def token(scope: str | None = None) -> dict:
        data = {"scope": scope} if scope else {}
        response = client_credentials(live_auth, client_id, secret, **data)
        assert response.status_code == 200, response.text
        return response.json()

    assert token()["scope"] == "chat:create"
    assert token("admin:all chat:create")["scope"] == "chat:create"  # left out, not refused

    live_auth.run(lambda: approve_scope(services.get_client(client_id), "admin:all"))
    assert eventually(lambda: token("admin:all chat:create")["scope"] == "admin:all chat:create")
    approved = token()
    assert approved["scope"] == "chat:create admin:all"
    assert introspect(live_auth, resource_server, approved["access_token"]).json()["scope"] == "chat:create admin:all"

    live_auth.run(lambda: revoke_scope_approval(services.get_client(client_id), "admin:all"))
    assert eventually(lambda: token()["scope"] == "chat:create")
    assert introspect(live_auth, resource_server, approved["access_token"]).json()["scope"] == "chat:create"
