"""OpenID Connect RP-Initiated Logout 1.0: where to send someone after they signed out.

Only to a ``post_logout_redirect_uri`` the client registered, matched exactly (§3), the client
being named by ``client_id`` or by the audience of an ``id_token_hint`` this server signed. When
both name a client they must agree (§2). Anything else: no redirect, a "signed out" page.
"""

from __future__ import annotations

from dataclasses import dataclass

from authlib.common.urls import add_params_to_uri
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from authserver.clients.services import find_enabled_client
from authserver.extensions import get_config
from authserver.tokens.keys import JWS_ALGORITHMS
from authserver.tokens.keys import public_jwks


@dataclass(frozen=True)
class LogoutRequest:
    id_token_hint: str | None = None
    client_id: str | None = None
    post_logout_redirect_uri: str | None = None
    state: str | None = None


def hint_claims(id_token_hint: str) -> dict | None:
    """The claims of an id_token this server issued, or None.

    The signature is checked against every key still published, while ``exp`` is not: §2 asks the
    OP to accept a hint that has expired, since people sign out long after their id_token lapsed.
    """
    try:
        token = jwt.decode(id_token_hint, KeySet.import_key_set(public_jwks()), algorithms=list(JWS_ALGORITHMS))
    except (JoseError, ValueError, TypeError):
        return None
    claims = token.claims
    if claims.get("iss") != get_config().issuer:
        return None
    return claims


def _audience(claims: dict) -> str | None:
    aud = claims.get("aud")
    if isinstance(aud, list):
        aud = aud[0] if len(aud) == 1 else claims.get("azp")
    return aud if isinstance(aud, str) else None


def redirect_target(request: LogoutRequest) -> str | None:
    """The registered URI to send the browser to (with ``state``), or None for the signed-out page."""
    uri = request.post_logout_redirect_uri
    if not uri:
        return None
    client_id = request.client_id or None
    if request.id_token_hint:
        claims = hint_claims(request.id_token_hint)
        if claims is None:
            return None
        audience = _audience(claims)
        if audience is None or (client_id is not None and client_id != audience):
            return None
        client_id = audience
    if client_id is None:
        return None
    client = find_enabled_client(client_id)
    if client is None or uri not in (client.post_logout_redirect_uris or []):
        return None
    return add_params_to_uri(uri, [("state", request.state)]) if request.state else uri
