"""Token revocation (RFC 7009) and introspection (RFC 7662), bound to the token services; and the
usage report, the limits poll and the revocation feed, where resource servers authenticate the same
way they do to introspect."""

from __future__ import annotations

import hashlib
import json

from authlib.consts import default_json_headers
from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc6749.errors import InvalidGrantError
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.token_endpoint import TokenEndpoint
from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _IntrospectionEndpoint
from flask import request as flask_request

from authserver.accounts.methods import sign_in_claims
from authserver.clients import services as clients
from authserver.errors import InvalidInput
from authserver.extensions import get_config
from authserver.oauth2.grants import ALL_AUTH_METHODS
from authserver.oauth2.grants import CONFIDENTIAL_AUTH_METHODS
from authserver.tokens import revocations
from authserver.tokens import services as tokens
from authserver.tokens.services import TokenRecord
from authserver.usage import services as usage
from authserver.usage import visibility


class IntrospectionNotAllowed(OAuth2Error):
    error = "unauthorized_client"
    description = "Only clients registered as resource servers may introspect tokens."
    status_code = 403


class UsageNotVisible(OAuth2Error):
    error = "unauthorized_client"
    status_code = 403

    def __init__(self, unseen: list[tuple[str, str | None]]):
        super().__init__(
            f"The batch names {len(unseen)} client(s) or person(s) this resource server introspected "
            "no token of: it may not report their usage."
        )


class RevocationEndpoint(_RevocationEndpoint):
    ENDPOINT_NAME = "revocation"
    CLIENT_AUTH_METHODS = ALL_AUTH_METHODS

    def authenticate_token(self, request, client) -> TokenRecord | None:
        """A client may revoke only its own tokens (RFC 7009 §2.1)."""
        self.check_params(request, client)
        record = tokens.find_token(request.form["token"])
        if record is not None and record.client_id != client.client_id:
            raise InvalidGrantError("The token was issued to another client.")
        return record

    def revoke_token(self, record: TokenRecord, request) -> None:
        """A refresh token takes its whole family down, access tokens included (RFC 9700 §4.14.2)."""
        if record.is_refresh:
            tokens.revoke_family(record.token.family_id, reason="refresh token revoked by its client")
        else:
            tokens.revoke_token(record.token.id, client_id=record.client_id)


class IntrospectionEndpoint(_IntrospectionEndpoint):
    """Open to resource servers only; every other client is refused outright, even for its own tokens,
    so a leaked client secret never turns into a token oracle."""

    ENDPOINT_NAME = "introspection"
    CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS

    def create_endpoint_response(self, request):
        client = self.authenticate_endpoint_client(request)
        if not client.is_resource_server:
            raise IntrospectionNotAllowed()
        self.check_params(request, client)
        record = tokens.find_token(request.form["token"])
        payload = self.create_introspection_payload(record)
        if payload["active"]:
            visibility.saw_token(client.pk, record.client_id, record.user.sub if record.user is not None else None)
        return 200, payload, default_json_headers

    def create_introspection_payload(self, record: TokenRecord | None) -> dict:
        if record is None or not record.active:
            return {"active": False}
        token = record.token
        user = record.user
        scope = self.server.scope_now(token.scope, record.client_id)
        payload = {
            "active": True,
            "scope": scope,
            "client_id": record.client_id,
            "sub": user.sub if user is not None else record.client_id,
            "exp": int(record.expires_at.timestamp()),
            "iat": int(token.issued_at.timestamp()),
            "token_type": "refresh_token" if record.is_refresh else "DPoP" if token.dpop_jkt else "Bearer",
            "iss": get_config().issuer,
            **record.client_limits,
        }
        if token.audience:
            # RFC 8707 / RFC 7662 §2.2: the resource servers the token is for. Without one it names
            # none, and every resource server of ours accepts it.
            payload["aud"] = token.audience.split()
        if token.act is not None:
            # RFC 8693 §4.1: who acts for the subject, for a token issued by token exchange.
            payload["act"] = token.act
        if token.dpop_jkt and not record.is_refresh:
            # RFC 9449 §6.2: the key a resource server must see a proof of with every use.
            payload["cnf"] = {"jkt": token.dpop_jkt}
        if user is not None:
            # RFC 9068 §2.2.1's claims of the sign-in behind a person's token, as its id_token has them.
            payload.update(sign_in_claims(token.auth_time, token.amr))
        if user is not None and "email" in scope.split():  # still_granted's names, space-separated
            payload["username"] = user.email
            payload["email"] = user.email
        return payload


class ResourceServerEndpoint(TokenEndpoint):
    """An endpoint for resource servers only, authenticated as at the introspection endpoint; any other
    client is refused as not one at all (RFC 6749 §5.2 ``invalid_client``)."""

    CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS
    REFUSAL = "Only a resource server may call this endpoint."

    def authenticate_resource_server(self, request):
        client = self.authenticate_endpoint_client(request)
        if not client.is_resource_server:
            raise InvalidClientError(description=self.REFUSAL, status_code=401)
        return client


class UsageEndpoint(ResourceServerEndpoint):
    """``POST /internal/usage``: a resource server reports metered calls in batches (``authserver.usage``).

    A batch with one bad record is refused whole.
    """

    ENDPOINT_NAME = "usage"
    REFUSAL = "Only a resource server may report usage."

    def create_endpoint_response(self, request):
        client = self.authenticate_resource_server(request)
        try:
            body = flask_request.get_json(silent=True)
        except RecursionError:  # arrays nested thousands deep
            body = None
        try:
            rows = usage.checked(body.get("records") if isinstance(body, dict) else None)
        except InvalidInput as exc:
            raise InvalidRequestError(str(exc)) from None
        if unseen := visibility.unseen(client.pk, rows):
            raise UsageNotVisible(unseen)
        stored = usage.insert(rows)
        return 202, {"stored": stored}, default_json_headers


class LimitsEndpoint(ResourceServerEndpoint):
    """``GET /internal/limits``: the per-client limits an admin set (``clients set-limits``), which every
    resource-server process polls once a second, so a change reaches tokens it has already cached.

    The answer carries its ``version`` (also its ETag); a poll that sends it back in
    ``If-None-Match`` gets an empty 304 while nothing changed (RFC 9110 §13.1.2).
    """

    ENDPOINT_NAME = "limits"
    REFUSAL = "Only a resource server may read client limits."

    def create_endpoint_response(self, request):
        self.authenticate_resource_server(request)
        limits = clients.limits_set()
        version = hashlib.sha256(json.dumps(limits, sort_keys=True).encode()).hexdigest()[:32]
        headers = [("ETag", f'"{version}"'), ("Cache-Control", "no-store")]
        if flask_request.headers.get("If-None-Match") == f'"{version}"':
            return 304, "", headers
        return 200, {"version": version, "clients": limits}, [*default_json_headers, *headers[:1]]


class RevocationFeedEndpoint(ResourceServerEndpoint):
    """``GET /internal/revocations?after=<id>``: the revocations committed after event ``after``
    (``authserver.tokens.revocations``), which every resource-server process reads once a second (or
    to fill a gap in what Redis pushed). Without ``after``, every event whose tokens may be alive."""

    ENDPOINT_NAME = "revocation_feed"
    REFUSAL = "Only a resource server may read revocations."

    def create_endpoint_response(self, request):
        self.authenticate_resource_server(request)
        after = flask_request.args.get("after", "0")
        if not (after.isascii() and after.isdigit() and len(after) <= 18):
            raise InvalidRequestError("'after' must be the cursor of an earlier answer: a whole number.")
        events, cursor, more = revocations.events_after(int(after))
        headers = [*default_json_headers, ("Cache-Control", "no-store")]
        return 200, {"events": events, "cursor": cursor, "more": more}, headers
