"""Authlib's view of our rows: small adapters implementing its mixins over the feature models.

The models themselves stay free of Authlib; these classes only translate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oidc.core import AuthorizationCodeMixin

from authserver.accounts.models import User
from authserver.clients.metadata import JWT
from authserver.clients.models import Client
from authserver.clients.redirects import redirect_uri_matches
from authserver.clients.rotation import secret_matches
from authserver.clients.services import could_be_client_id
from authserver.clients.services import find_enabled_client_for_grants
from authserver.registration.fetch import is_document_url
from authserver.scopes.policy import authorization_scope
from authserver.scopes.policy import leave_out
from authserver.tokens.models import AuthorizationCode
from authserver.tokens.models import Token


@dataclass(frozen=True)
class OAuthClient(ClientMixin):
    """An immutable snapshot of a client row, safe to share between threads and requests."""

    pk: int
    client_id: str
    client_secret_digest: str | None
    name: str
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    response_types: tuple[str, ...]
    scopes: tuple[str, ...]
    token_endpoint_auth_method: str
    is_resource_server: bool
    client_uri: str | None
    policy_uri: str | None
    jwks: dict | None = None
    # What the consent page shows of who asks (RFC 7591 §2): logo and terms, besides home page and policy.
    logo_uri: str | None = None
    tos_uri: str | None = None
    # A client named by its metadata document: its redirect URIs match exactly, loopback ones too.
    from_document: bool = False
    # The secret a rotation replaced, accepted until its grace period ends (clients.rotation).
    previous_secret_digest: str | None = None
    previous_secret_expires_at: datetime | None = None
    # Restricted scopes it lists that no admin approved: left out of every grant (scopes.policy.leave_out).
    withheld_scopes: frozenset[str] = frozenset()
    pkce_required: bool = True
    # RFC 9126 §6: its authorization requests are accepted only as pushed.
    require_pushed_authorization_requests: bool = False
    # RFC 9068: its access tokens are signed JWTs (authserver.tokens.access_jwt), not random values.
    jwt_access_tokens: bool = False
    # A resource server's resource identifier (RFC 8707): the audience of tokens meant for it.
    resource_url: str | None = None
    # RFC 9449 §5.2: every token request must carry a DPoP proof.
    dpop_bound_access_tokens: bool = False
    client_metadata = {}

    @classmethod
    def from_row(cls, row: Client, withheld: Collection[str] = ()) -> OAuthClient:
        return cls(
            pk=row.id,
            client_id=row.client_id,
            client_secret_digest=row.client_secret_digest,
            name=row.name,
            redirect_uris=tuple(row.redirect_uris or ()),
            grant_types=tuple(row.grant_types or ()),
            response_types=tuple(row.response_types or ()),
            scopes=tuple(row.scopes or ()),
            token_endpoint_auth_method=row.token_endpoint_auth_method,
            is_resource_server=row.is_resource_server,
            client_uri=row.client_uri,
            policy_uri=row.policy_uri,
            jwks=row.jwks,
            logo_uri=row.logo_uri,
            tos_uri=row.tos_uri,
            from_document=is_document_url(row.client_id),
            previous_secret_digest=row.previous_secret_digest,
            previous_secret_expires_at=row.previous_secret_expires_at,
            withheld_scopes=frozenset(withheld),
            pkce_required=row.pkce != "optional" or row.token_endpoint_auth_method == "none",
            require_pushed_authorization_requests=row.require_pushed_authorization_requests,
            jwt_access_tokens=row.access_token_format == JWT,
            resource_url=row.resource_url if row.is_resource_server else None,
            dpop_bound_access_tokens=row.dpop_bound_access_tokens,
        )

    @property
    def document_host(self) -> str | None:
        """The host serving the client's metadata document: who vouches for what the page shows."""
        return urlsplit(self.client_id).hostname if self.from_document else None

    @property
    def home_host(self) -> str | None:
        """The host of the app's home page, shown beside its name on the consent page."""
        return urlsplit(self.client_uri).hostname if self.client_uri else None

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Only an unambiguous registration may be implied (OAuth 2.1 §2.3.2).
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The decision is ``scopes.policy.authorization_scope``'s, less what is withheld from this client."""
        allowed = authorization_scope(self.scopes, scope)
        return self.grantable(allowed) if allowed is not None else None

    def grantable(self, scope: str) -> str:
        """``scope`` without the restricted scopes this client is not approved for (``policy.leave_out``)."""
        return leave_out(scope, self.withheld_scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        if self.from_document:
            return redirect_uri in self.redirect_uris
        return redirect_uri_matches(list(self.redirect_uris), redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return secret_matches(self, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """A client authenticates only the way it registered, at every endpoint."""
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.response_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


class ClientCache:
    """Client lookups cached per process for ``ttl`` seconds (admin changes apply within it).

    Unknown and disabled clients are cached too, as None, so a flood of bad client_ids costs one
    query per id per ``ttl``.
    """

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, OAuthClient | None]] = {}
        self._lock = threading.Lock()

    def get(
        self,
        client_id: str | None,
        load: Callable[[str], tuple[Client, list[str]] | None] = find_enabled_client_for_grants,
    ) -> OAuthClient | None:
        """``load`` finds the enabled row and the scopes withheld from it; what it raises is not cached."""
        if not could_be_client_id(client_id):
            return None
        now = time.monotonic()
        entry = self._entries.get(client_id)
        if entry is not None and entry[0] > now:
            return entry[1]
        found = load(client_id)
        client = OAuthClient.from_row(*found) if found is not None else None
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[client_id] = (now + self.ttl, client)
        return client


class OAuthAuthorizationCode(AuthorizationCodeMixin):
    def __init__(self, row: AuthorizationCode, user: User):
        self.row = row
        self.user = user

    def get_redirect_uri(self) -> str | None:
        return self.row.redirect_uri or None

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int | None:
        return int(self.row.auth_time.timestamp()) if self.row.auth_time else None

    # The id_token's ``amr`` and ``acr`` come from ``oidc.IdTokens``, in one way for every grant.
    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class OAuthRefreshToken:
    """The token row a refresh token belongs to, as the refresh grant sees it."""

    def __init__(self, row: Token, user: User | None):
        self.row = row
        self.user = user

    def check_client(self, client: OAuthClient) -> bool:
        return self.row.client_id == client.pk

    def get_scope(self) -> str:
        return self.row.scope
