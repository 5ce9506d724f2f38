"""OpenID Connect: id_tokens (code exchange, refresh, device grant) and the userinfo endpoint."""

from __future__ import annotations

import time
from dataclasses import replace

from authlib.consts import default_json_headers
from authlib.oauth2.rfc6749 import ResourceProtector
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc6750 import InsufficientScopeError
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oidc.core import UserInfo
from authlib.oidc.core import UserInfoEndpoint as _UserInfoEndpoint
from authlib.oidc.core.grants import OpenIDCode as _OpenIDCode
from authlib.oidc.core.grants import OpenIDToken
from flask import g

from authserver.accounts.methods import sign_in_claims
from authserver.accounts.models import User
from authserver.extensions import get_config
from authserver.oauth2.server import get_server
from authserver.scopes.policy import parse_scope
from authserver.tokens import codes
from authserver.tokens import keys
from authserver.tokens import services as tokens
from authserver.tokens.services import TokenSubject


def user_claims(user: User | TokenSubject, scope: str) -> UserInfo:
    """The claims a scope releases (OIDC Core §5.4); ``sub`` always, the rest only when granted."""
    scopes = set(parse_scope(scope))
    claims = UserInfo(sub=user.sub)
    if "profile" in scopes and user.name:
        claims["name"] = user.name
    if "email" in scopes:
        claims["email"] = user.email
        claims["email_verified"] = bool(user.email_verified)
    return claims


class IdTokens:
    """What every id_token of ours shares: the current signing key, ``iss``/``aud``/``exp``, the claims
    the scope releases, and the sign-in it asserts (``auth_time``, ``amr``, ``acr``), read from the
    authorization code, refresh token or device authorization the grant is exchanging."""

    def resolve_client_private_key(self, client):
        return _signing_key().key

    def get_client_algorithm(self, client) -> str:
        return _signing_key().alg

    def get_encode_header(self, client) -> dict:
        active = _signing_key()
        return {"alg": active.alg, "kid": active.kid, "typ": "JWT"}

    def get_client_claims(self, client) -> dict:
        config = get_config()
        return {"iss": config.issuer, "aud": client.client_id, "exp": int(time.time()) + config.id_token_ttl}

    def get_compatible_claims(self, request) -> dict:
        """OIDC Core §2, §12.2: ``auth_time`` is when the person signed in, never the token's time
        (Authlib's default); a sign-in recorded without it (none is, today) asserts none."""
        claims = super().get_compatible_claims(request)
        claims.pop("auth_time", None)
        row = _exchanged_row(request)
        claims.update(sign_in_claims(row.auth_time, row.amr))
        return claims

    def generate_user_info(self, user: User, scope: str) -> UserInfo:
        return user_claims(user, scope)


def _signing_key() -> keys.ActiveKey:
    """One key for the whole id_token (its ``alg``, ``kid`` and signature) even when a rotation lands
    while it is being made: Authlib asks for each separately."""
    if "id_token_key" not in g:
        g.id_token_key = keys.active_key()
    return g.id_token_key


def _exchanged_row(request):
    """The authorization code, refresh token or device authorization row this token request exchanges."""
    for exchanged in (request.authorization_code, request.refresh_token, request.credential):
        if exchanged is not None:
            return exchanged.row
    raise RuntimeError("an id_token is only issued in exchange for a code, refresh token or device code")


class OpenIDCode(IdTokens, _OpenIDCode):
    """Adds a signed id_token (with nonce, auth_time, amr, acr, at_hash) to code exchanges asking for ``openid``."""

    def exists_nonce(self, nonce: str, request) -> bool:
        if len(nonce) > 255 or not nonce.isprintable():
            raise InvalidRequestError("'nonce' must be at most 255 printable characters.")
        return codes.nonce_was_used(request.client.pk, nonce)


class OpenIDContinued(IdTokens, OpenIDToken):
    """An id_token for grants that carry on an earlier sign-in, when its scope has ``openid``: the
    refresh grant (OIDC Core §12.2: same ``iss``, ``sub``, ``aud``, ``auth_time``, a new ``iat`` and
    ``at_hash``, no ``nonce`` — that belongs to the authentication request, which a refresh is not) and
    the device grant (the person signed in on the verification page; RFC 8628 allows it, and a CLI
    that asked for ``openid`` learns who it acts for)."""


class AccessTokenValidator(BearerTokenValidator):
    """Bearer access tokens of this server, for the one resource it serves itself (userinfo)."""

    def authenticate_token(self, token_string: str):
        record = tokens.find_token(token_string)
        if record is None or record.is_refresh:
            return None
        # What its scope is worth now (a removed scope no longer counts), worked out once per request.
        scope = get_server().scope_now(record.token.scope, record.client_id)
        return replace(record, token=replace(record.token, scope=scope))

    def validate_token(self, token, scopes, request) -> None:
        if token is None or not token.active:
            raise InvalidTokenError()
        if self.scope_insufficient(token.token.scope, scopes):
            raise InsufficientScopeError()


class UserInfoEndpoint(_UserInfoEndpoint):
    """OIDC Core §5.3, answered as JSON (no signed userinfo is offered in metadata)."""

    def __init__(self, server=None):
        protector = ResourceProtector()
        protector.register_token_validator(AccessTokenValidator())
        super().__init__(server=server, resource_protector=protector)

    def __call__(self, request):
        record = self.resource_protector.validate_request(["openid"], request)
        if record.user is None:
            raise InvalidTokenError()
        return 200, dict(user_claims(record.user, record.token.scope)), default_json_headers
