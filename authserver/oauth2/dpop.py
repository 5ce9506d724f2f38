"""DPoP at the token endpoint (RFC 9449 §5): the proof a token request carries, and what it binds.

``token_request_proof`` runs before any grant: a request with a ``DPoP`` header gets its tokens bound
to the proof's key (``cnf.jkt``, ``token_type: DPoP``) or is refused; one without gets bearer tokens,
unless its client must use DPoP (§5.2 ``dpop_bound_access_tokens``) or what it exchanges is bound.
"""

from __future__ import annotations

import re

from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError

from authserver.extensions import get_config
from authserver.oauth2.errors import printable
from authserver.paths import TOKEN_PATH
from authserver.tokens import dpop
from shared.dpop import Proof
from shared.dpop import ProofError
from shared.dpop import verify_proof

NONCE_HEADER = "DPoP-Nonce"
_JKT = re.compile(r"[A-Za-z0-9_-]{43}")
PROOF_REQUIRED = "this client must send a DPoP proof with every token request"


class InvalidDPoPProofError(OAuth2Error):
    """RFC 9449 §5: the proof is missing where required, malformed, or fails a check."""

    error = "invalid_dpop_proof"
    status_code = 400


class UseDPoPNonceError(OAuth2Error):
    """RFC 9449 §8: the proof must carry the nonce this answer's ``DPoP-Nonce`` header gives."""

    error = "use_dpop_nonce"
    status_code = 400
    description = "send the DPoP proof again with the nonce from the DPoP-Nonce header"


def token_request_proof(request) -> Proof | None:
    """The token request's checked proof, or None without a ``DPoP`` header (RFC 9449 §4.3, §8).

    ``htu`` is compared with the token endpoint the metadata publishes under the configured issuer,
    never with what the Host header says (behind a proxy they differ).
    """
    value = request.headers.get("DPoP")
    if value is None:
        return None
    try:
        proof = verify_proof(value, method=request.method, url=get_config().issuer + TOKEN_PATH)
    except ProofError as refused:
        raise InvalidDPoPProofError(printable(str(refused))) from None
    if not dpop.nonce_is_fresh(proof.nonce):
        raise UseDPoPNonceError()
    if not dpop.first_use(proof.jkt, proof.jti):
        raise InvalidDPoPProofError("the DPoP proof was already used (its jti was seen): make a new proof")
    return proof


def require_proof(request, client) -> None:
    """RFC 9449 §5.2: a client registered with ``dpop_bound_access_tokens`` gets no bearer tokens."""
    if client.dpop_bound_access_tokens and request.dpop is None:
        raise InvalidDPoPProofError(PROOF_REQUIRED)


def check_binding(request, jkt: str | None, what: str) -> None:
    """A code (§10) or a public client's refresh token (§5) bound to a key is exchanged only with a
    proof of that key."""
    if jkt is None:
        return
    if request.dpop is None:
        raise InvalidDPoPProofError(f"the {what} is DPoP-bound: send a DPoP proof of its key")
    if request.dpop.jkt != jkt:
        raise InvalidDPoPProofError(f"the {what} is bound to another DPoP key")


def requested_jkt(request) -> str | None:
    """The ``dpop_jkt`` an authorization request names (RFC 9449 §10): a SHA-256 thumbprint, 43
    base64url characters; the code it yields is exchanged only with a proof of that key."""
    jkt = request.payload.data.get("dpop_jkt")
    if jkt is None:
        return None
    if not isinstance(jkt, str) or not _JKT.fullmatch(jkt):
        raise InvalidRequestError("dpop_jkt must be a JWK SHA-256 thumbprint (RFC 7638), base64url")
    return jkt


def nonce_header() -> tuple[str, str]:
    return NONCE_HEADER, dpop.current_nonce()
