"""The real authorization server and resource servers in front of it, with real grants."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.support.live_server import LiveServer
from tests.support.oauth import LiveAuth
from tests.support.oauth import RegisteredClient

API_SCOPES = ("models:read", "embeddings:create", "chat:create")
ALL = " ".join(API_SCOPES)


@dataclass
class Stack:
    auth: LiveAuth
    resource: LiveServer
    resource_client: RegisteredClient
    partner: RegisteredClient

    def token(self, scope: str = ALL, client: RegisteredClient | None = None) -> str:
        """A client-credentials access token from the real token endpoint (Authlib's client)."""
        client = client or self.partner
        with OAuth2Session(client.client_id, client.client_secret, scope=scope) as session:
            return session.fetch_token(self.auth.token_endpoint, grant_type="client_credentials")["access_token"]

    def revoke(self, token: str, client: RegisteredClient | None = None) -> None:
        client = client or self.partner
        endpoint = self.auth.metadata()["revocation_endpoint"]
        with OAuth2Session(client.client_id, client.client_secret) as session:
            assert session.revoke_token(endpoint, token, token_type_hint="access_token").status_code == 200

    def get(self, path: str, token: str | None, server: LiveServer | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get((server or self.resource).url + path, headers=headers, timeout=10)

    def post(self, path: str, token: str, body: dict) -> requests.Response:
        return requests.post(
            self.resource.url + path, json=body, timeout=10, headers={"Authorization": f"Bearer {token}"}
        )


def register(auth: LiveAuth) -> tuple[RegisteredClient, RegisteredClient]:
    """The API scopes, a resource server allowed to introspect, and a partner service."""
    for scope in API_SCOPES:
        auth.scope(scope)
    resource_client = auth.client(redirect_uri=None, name="Resource server", resource_server=True, scope="models:read")
    partner = auth.client(redirect_uri=None, name="Partner", scope=ALL)
    return resource_client, partner
