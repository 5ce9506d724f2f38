"""The floor of (a) under the stack the project mandates: ``POST /token-authlib`` on the floor app
(benchmarks/floor.py, served as ``benchmarks.floor_authlib:app`` with all its other routes), an
Authlib ``AuthorizationServer`` with only Authlib's own ``ClientCredentialsGrant`` registered
(client_secret_basic). What it adds to the ``/token`` floor is Authlib's and nothing else: the
clients are plain objects in a dict (built from BENCH_FLOOR_CLIENTS), the secret check is the floor's
own (one SHA-256, compared in constant time), ``save_token`` is the floor's single INSERT, the token a
256-bit opaque value. No hooks, no metrics, no ORM, no scopes registry.

Authlib's token endpoint makes no transport check (its loopback rule only applies to metadata and
redirect URIs), so the bench's http://127.0.0.1 needs no AUTHLIB_INSECURE_TRANSPORT here; this is a
benchmark floor, never a product.
"""

from __future__ import annotations

import secrets

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from flask import Response

from benchmarks import floor
from benchmarks.floor import EXPIRES_IN
from benchmarks.floor import app

__all__ = ["app"]


class FloorClient(ClientMixin):
    """A client as little as Authlib's client_credentials grant asks of one."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id

    def get_client_id(self) -> str:
        return self.client_id

    def check_client_secret(self, client_secret: str) -> bool:
        return floor.secret_matches(self.client_id, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == ClientCredentialsGrant.GRANT_TYPE

    def get_allowed_scope(self, scope: str) -> str:
        # Every scope asked for (the bench asks models:read): no registry of scopes in a floor.
        return scope


def _save_token(token: dict, request) -> None:
    floor.store_token(request.client.client_id, token["access_token"], token.get("scope", ""))


_clients = {client_id: FloorClient(client_id) for client_id in floor.clients}
app.config.update(
    OAUTH2_ACCESS_TOKEN_GENERATOR=lambda *args, **kwargs: secrets.token_urlsafe(32),
    OAUTH2_TOKEN_EXPIRES_IN={ClientCredentialsGrant.GRANT_TYPE: EXPIRES_IN},
)
server = AuthorizationServer(app, query_client=_clients.get, save_token=_save_token)
server.register_grant(ClientCredentialsGrant)


@app.post("/token-authlib")
def token_authlib() -> Response:
    return server.create_token_response()
