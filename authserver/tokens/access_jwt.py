"""JWT access tokens (RFC 9068) for the clients registered with ``--access-token-format jwt``.

The token is a JWS signed with the server's active signing key (``tokens.keys``), so a resource server
can validate it against the JWKS without asking us. It is still stored as a row under the digest of
the whole JWT string, exactly as an opaque token is, so introspection and revocation treat both alike.
The claims are those of the row, as introspection describes it: one description of a token.
"""

from __future__ import annotations

import base64
import functools
import json

from joserfc.jws import default_registry

from authserver.accounts.methods import sign_in_claims
from authserver.extensions import get_config
from authserver.tokens import keys
from shared.security import new_identifier

# RFC 9068 §2.1: the media type that tells an access token from an id_token signed with the same keys.
ACCESS_TOKEN_TYP = "at+jwt"


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@functools.lru_cache(maxsize=64)
def _protected_header(alg: str, kid: str) -> bytes:
    """Encoded once per key, not once per token."""
    return _b64(json.dumps({"alg": alg, "typ": ACCESS_TOKEN_TYP, "kid": kid}, separators=(",", ":")).encode())


def sign(claims: dict) -> str:
    """A compact JWS (RFC 7515 §7.1) of ``claims`` with the active key, ``typ: at+jwt``.

    The key object is the one ``keys.active_key`` keeps parsed (a rotation elsewhere is seen within
    ``lookup_cache_ttl``); the algorithm is joserfc's, called directly: a token request pays for the
    signature and nothing else.
    """
    active = keys.active_key()
    message = (
        _protected_header(active.alg, active.kid) + b"." + _b64(json.dumps(claims, separators=(",", ":")).encode())
    )
    signature = default_registry.get_alg(active.alg).sign(message, active.key)
    return (message + b"." + _b64(signature)).decode("ascii")


def access_token_claims(values: dict, *, client_id: str, sub: str, email: str | None = None) -> dict:
    """RFC 9068 §2.2 claims of a token row about to be stored (``tokens.services`` column values).

    ``aud`` is required there. A token that names no resource (no ``resource`` parameter and no
    ``AUTHSERVER_DEFAULT_RESOURCE``) is, like its opaque twin, for every resource server of this
    authorization server: its ``aud`` is the issuer itself, which our resource servers read as "no
    particular audience" (README, "JWT access tokens").
    """
    issuer = get_config().issuer
    audience = values["audience"]
    claims = {
        "iss": issuer,
        "exp": int(values["access_expires_at"].timestamp()),
        "aud": audience.split() if audience else issuer,
        "sub": sub,
        "client_id": client_id,
        "iat": int(values["issued_at"].timestamp()),
        "jti": new_identifier(),
        "scope": values["scope"],
    }
    if values["user_id"] is not None:
        # RFC 9068 §2.2.1: the sign-in behind a person's token, as introspection and the id_token give it.
        claims.update(sign_in_claims(values["auth_time"], values["amr"]))
    # Columns other features add to the row: the DPoP key (RFC 9449 §6.1) and the actor of a token
    # exchange (RFC 8693 §4.1) are claims of the token too.
    if values.get("dpop_jkt"):
        claims["cnf"] = {"jkt": values["dpop_jkt"]}
    if values.get("act"):
        claims["act"] = values["act"]
    if email is not None and "email" in values["scope"].split():
        claims["email"] = email
    return claims
