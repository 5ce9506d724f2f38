"""DPoP proofs (RFC 9449 §4): the checks both apps make on the ``DPoP`` header, with joserfc.

``verify_proof`` checks everything a proof says about itself and the request it came with (§4.3):
its form, ``typ``, ``alg``, the public ``jwk`` and the signature by it, ``htm``, ``htu``, ``iat``
and, at a resource server, ``ath``. What needs state is each app's own: whether the ``jti`` was seen
(a store shared by its processes) and whether a ``nonce`` is one the server gave out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import import_key

from shared.jose import ASYMMETRIC_KEY_TYPES
from shared.jose import JWS_ALGORITHMS

PROOF_TYPE = "dpop+jwt"
# A proof's iat may be this many seconds before or after the server's clock (§4.3 item 11, §11.1).
IAT_WINDOW = 60
# A jti is remembered while a proof carrying it could still pass the iat check, and a little longer.
JTI_TTL = 2 * IAT_WINDOW + 10
# Far above any proof a client sends (an RSA-4096 jwk and signature are about 2 KB).
MAX_PROOF_LENGTH = 8192
MAX_JTI_LENGTH = 256
# One compact JWS: three base64url parts. Several DPoP headers arrive joined by commas: refused (§4.3 item 1).
_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# Members of a private JWK (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2) and of a symmetric one (§6.4).
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class ProofError(ValueError):
    """A proof refused; the message says why (an ``error_description``, RFC 6749 §5.2 characters only)."""


@dataclass(frozen=True)
class Proof:
    """A proof whose signature and request checks passed."""

    jkt: str  # the RFC 7638 SHA-256 thumbprint of its key: what a token is bound to (``cnf.jkt``)
    jti: str
    nonce: str | None


def access_token_hash(access_token: str) -> str:
    """``ath`` (§4.2): base64url of the SHA-256 of the access token's ASCII."""
    return _b64(hashlib.sha256(access_token.encode("ascii")).digest())


def request_url(url: str) -> str | None:
    """``url`` as ``htu`` compares (§4.3 item 9): no query or fragment, scheme and host in lower case,
    no default port, an empty path as "/" (RFC 3986 §6.2.2, §6.2.3); None when it is no http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except (ValueError, AttributeError):
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path or '/'}"


def verify_proof(
    value: str,
    *,
    method: str,
    url: str,
    access_token: str | None = None,
    algorithms: tuple[str, ...] = JWS_ALGORITHMS,
    now: float | None = None,
) -> Proof:
    """The proof in a ``DPoP`` header, checked against the request (``method``, public ``url``) it came
    with, RFC 9449 §4.3 items 1-11; ``access_token``: the token it must be bound to (``ath``, §7.1).

    Raises ProofError. Replay (item 12) and nonces (item 10) are the caller's.
    """
    if len(value) > MAX_PROOF_LENGTH or not _COMPACT.fullmatch(value):
        raise ProofError("the DPoP header must hold exactly one proof, a compact JWS")
    try:
        header = jws.extract_compact(value.encode("ascii")).protected
    except (JoseError, ValueError, TypeError, RecursionError):
        raise ProofError("the DPoP proof is not a well-formed JWS") from None
    if header.get("typ") != PROOF_TYPE:
        raise ProofError(f"the DPoP proof's typ must be {PROOF_TYPE}")
    alg = header.get("alg")
    if alg not in algorithms:
        raise ProofError(f"the DPoP proof's alg must be one of {' '.join(algorithms)}")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or jwk.get("kty") not in ASYMMETRIC_KEY_TYPES:
        raise ProofError("the DPoP proof's header must carry the public key as jwk")
    if _PRIVATE_MEMBERS & jwk.keys():
        raise ProofError("the DPoP proof's jwk must be a public key, without private members")
    try:
        key = import_key(jwk)
        claims = json.loads(jws.deserialize_compact(value, key, algorithms=[alg]).payload)
    except (JoseError, ValueError, TypeError, RecursionError):
        raise ProofError("the DPoP proof's signature does not verify with its jwk") from None
    if not isinstance(claims, dict):
        raise ProofError("the DPoP proof's payload must be a JSON object")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
        raise ProofError(f"the DPoP proof needs a jti of 1 to {MAX_JTI_LENGTH} characters")
    if claims.get("htm") != method:
        raise ProofError(f"the DPoP proof's htm must be the request's method, {method}")
    htu = claims.get("htu")
    if not isinstance(htu, str) or request_url(htu) != request_url(url):
        raise ProofError(f"the DPoP proof's htu must be {request_url(url)}")
    iat = claims.get("iat")
    now = time.time() if now is None else now
    if not isinstance(iat, int | float) or isinstance(iat, bool) or abs(now - iat) > IAT_WINDOW:
        raise ProofError(f"the DPoP proof's iat must be within {IAT_WINDOW} seconds of the server's clock")
    if access_token is not None:
        ath = claims.get("ath")
        if not isinstance(ath, str) or not hmac.compare_digest(ath, access_token_hash(access_token)):
            raise ProofError("the DPoP proof's ath must be the hash of the access token it is sent with")
    nonce = claims.get("nonce")
    return Proof(jkt=key.thumbprint(), jti=jti, nonce=nonce if isinstance(nonce, str) else None)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
