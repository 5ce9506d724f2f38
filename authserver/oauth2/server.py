"""Authlib's AuthorizationServer, one per app, bound to our client cache and token format."""

from __future__ import annotations

import json

from authlib.common.security import is_secure_transport
from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_oauth2 import AuthorizationServer as _AuthorizationServer
from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6749.errors import InsecureTransportError
from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.errors import UnsupportedGrantTypeError
from flask import Response
from flask import current_app
from flask import request as flask_request

from authserver.clients.models import Client
from authserver.clients.services import any_client_holds
from authserver.clients.services import resource_urls
from authserver.compat import IssuerRequest
from authserver.oauth2 import dpop
from authserver.oauth2.errors import printable
from authserver.oauth2.models import ClientCache
from authserver.oauth2.models import OAuthClient
from authserver.registration.documents import document_client
from authserver.registration.fetch import DocumentRefused
from authserver.registration.fetch import is_document_url
from authserver.scopes.catalog import ScopeCache
from shared.cache import TimedValue
from shared.config import Config
from shared.security import new_credential


class MissingGrantType(UnsupportedGrantTypeError):
    """A token request without ``grant_type`` is missing a required parameter: ``invalid_request``
    (RFC 6749 §5.2), not a grant type we do not support. A subclass, because Authlib's token endpoint
    catches only ``UnsupportedGrantTypeError`` around the grant lookup."""

    error = "invalid_request"

    def __init__(self):
        super().__init__(None)
        self.description = "The 'grant_type' parameter is missing."


# Authlib's texts for a failed client authentication: they list every method we accept, which tells
# a developer with a wrong secret nothing and an attacker which methods to try.
_GENERIC_CLIENT_FAILURES = ("The client cannot authenticate with methods", "The client does not exist")
CLIENT_AUTHENTICATION_FAILED = "client authentication failed"


class AuthorizationServer(_AuthorizationServer):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        # OAuth 2 only over https, or plain http on a loopback address (for development).
        self.issuer_is_secure = is_secure_transport(config.issuer + "/")
        self.clients = ClientCache(config.lookup_cache_ttl)
        self.scopes = ScopeCache(config.lookup_cache_ttl)
        # RFC 8707: the resource URLs a ``resource`` parameter may name (authserver.oauth2.resources).
        self.resources = TimedValue(config.lookup_cache_ttl, resource_urls)
        # What is registered, kept through the public register_* calls (metadata lists it, RFC 8414 §2).
        self.token_grants: list[type] = []
        self.endpoint_classes: dict[str, type] = {}
        self.register_token_generator("default", self.generate_bearer_token)
        # Grant types advertised only while some enabled client holds them (``grant_held``).
        self._held: dict[str, TimedValue[bool]] = {}

    def register_grant(self, grant_cls, extensions=None):
        super().register_grant(grant_cls, extensions)
        if hasattr(grant_cls, "check_token_endpoint"):
            self.token_grants.append(grant_cls)

    def register_endpoint(self, endpoint):
        super().register_endpoint(endpoint)
        endpoint_cls = endpoint if isinstance(endpoint, type) else type(endpoint)
        self.endpoint_classes[endpoint_cls.ENDPOINT_NAME] = endpoint_cls

    def grant_held(self, grant_type: str) -> bool:
        """Whether any enabled client holds ``grant_type`` (a change shows within the lookup TTL)."""
        held = self._held.get(grant_type)
        if held is None:
            held = self._held[grant_type] = TimedValue(
                self.config.lookup_cache_ttl, lambda: any_client_holds(grant_type)
            )
        return held.get()

    def query_client(self, client_id: str) -> OAuthClient | None:
        """Disabled and unknown clients look the same: absent. A client_id that is a URL names a
        client ID metadata document, fetched when it is not fresh (authserver.registration.documents)."""
        if is_document_url(client_id):
            return self.clients.get(client_id, self._document_client)
        return self.clients.get(client_id)

    def scope_now(self, scope: str, client_id: str) -> str:
        """What a token's scope is worth now: no removed scope, no restricted scope its client lost."""
        client = self.clients.get(client_id)
        return self.scopes.still_granted(scope, client.withheld_scopes if client is not None else frozenset())

    def _document_client(self, url: str) -> tuple[Client, list[str]]:
        """The document's client, and no withheld scopes: a document never registers restricted ones."""
        try:
            return document_client(url), []
        except DocumentRefused as refused:
            raise InvalidClientError(
                description=printable(f"The client's metadata document cannot be used: {refused}."),
                status_code=401,
            ) from None

    def get_token_grant(self, request):
        if not request.payload.grant_type:
            raise MissingGrantType()
        return super().get_token_grant(request)

    def create_token_response(self, request=None):
        """Authlib's steps, with the DPoP proof checked first (RFC 9449 §5) and a fresh nonce on every
        answer (§8.2), so a DPoP client needs no extra round trip for its next request."""
        request = self.create_oauth2_request(request)
        try:
            request.dpop = dpop.token_request_proof(request)
            grant = self.get_token_grant(request)
            grant.validate_token_request()
            response = self.handle_response(*grant.create_token_response())
        except OAuth2Error as error:
            response = self.handle_error_response(request, error)
        response.headers.set(*dpop.nonce_header())
        return response

    def save_token(self, token, request):
        raise RuntimeError("each grant stores its own tokens (see authserver.oauth2.grants)")

    def authenticate_client(self, request, methods, endpoint="token"):
        try:
            client = super().authenticate_client(request, methods, endpoint)
        except (UnicodeDecodeError, ValueError):
            # A Basic header that decodes to garbage is a failed authentication, not a crash.
            raise InvalidClientError(status_code=401, description="Malformed client credentials.") from None
        except InvalidClientError as error:
            if (error.description or "").startswith(_GENERIC_CLIENT_FAILURES):
                error.description = CLIENT_AUTHENTICATION_FAILED
            raise
        if endpoint == "token":
            # Before the grant uses anything up (a code, a refresh token's rotation).
            dpop.require_proof(request, client)
        return client

    def get_consent_grant(self, request=None, end_user=None):
        try:
            return super().get_consent_grant(request, end_user)
        except ValueError:
            # Authlib quotes redirect_uri and response_type into its error descriptions and refuses
            # to build one with characters RFC 6749 §5.2 forbids there (control, non-ASCII).
            raise InvalidRequestError("The authorization request is malformed.") from None

    def generate_bearer_token(
        self, grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True
    ) -> dict:
        """Opaque 256-bit random tokens; only their digests are ever stored.

        Every grant passes here: a restricted scope not approved for ``client`` (or approved, then
        revoked since the consent or the refresh token) is left out of the token.
        """
        scope = client.grantable(scope or "")
        token = {
            "token_type": "Bearer",
            "access_token": new_credential(),
            # Shorter only where a grant says so (an exchanged token never outlives its subject token).
            "expires_in": expires_in or self.config.access_token_ttl,
            "scope": scope or "",
        }
        if include_refresh_token:
            token["refresh_token"] = new_credential()
        return token

    def create_oauth2_request(self, request):
        if not self.issuer_is_secure:
            raise InsecureTransportError()
        # The request object itself, not the context proxy: Authlib reads it a score of times.
        request = flask_request._get_current_object()
        return IssuerRequest(request, self.config.issuer + request.full_path.rstrip("?"))

    def handle_response(self, status_code, payload, headers):
        # The standard library's encoder: Flask's JSON provider adds an app lookup and its
        # settings to every token and introspection answer, for the same bytes.
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        return Response(payload, status=status_code, headers=headers)

    def handle_error_response(self, request, error):
        """Errors sent back to the client's redirect URI carry ``state`` and ``iss`` (RFC 9207 §2)."""
        if error.redirect_uri:
            params = [*error.get_body(), ("iss", self.config.issuer)]
            location = add_params_to_uri(error.redirect_uri, params, error.redirect_fragment)
            return self.handle_response(302, "", [("Location", location), ("Cache-Control", "no-store")])
        return super().handle_error_response(request, error)


def get_server() -> AuthorizationServer:
    return current_app.extensions["authserver.oauth2"]
