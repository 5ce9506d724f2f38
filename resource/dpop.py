"""DPoP at the resource server (RFC 9449 §7): a DPoP-bound token is good only with a fresh proof of its key.

Every request with ``Authorization: DPoP <token>`` carries a ``DPoP`` proof, checked by
``shared.dpop.verify_proof`` against this request (``htm``; ``htu`` built from ``RESOURCE_URL``, never
from the Host header) and the token (``ath``); its key's thumbprint must be the token's ``cnf.jkt``
and its ``jti`` unseen. Used ``jti`` values are kept where every process of this resource server sees
them (Redis when ``REDIS_URL`` is set), otherwise in a store of this process that never drops a live
one. This server hands out no nonces of its own (§9 makes them optional).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import request

from resource.errors import unavailable
from shared.cache import MemoryCounters
from shared.dpop import JTI_TTL
from shared.dpop import Proof
from shared.dpop import ProofError
from shared.dpop import verify_proof

log = logging.getLogger(__name__)


class ProofRefused(Exception):
    """The request's proof does not hold; the message says why (§7.1 ``invalid_dpop_proof``)."""


class ProofChecker:
    def __init__(self, cache, redis_url: str | None, resource_url: str):
        self._used = cache if redis_url else MemoryCounters()
        parts = urlsplit(resource_url)
        # Paths are the request's own (below any prefix the WSGI server mounts this app on).
        self._origin = f"{parts.scheme}://{parts.netloc}"

    def check(self, token: str, jkt: str) -> Proof:
        """The request's proof for ``token``, bound to the key whose thumbprint is ``jkt``."""
        value = request.headers.get("DPoP")
        if value is None:
            raise ProofRefused("A DPoP proof is required with a DPoP access token.")
        url = self._origin + request.script_root + request.path
        try:
            proof = verify_proof(value, method=request.method, url=url, access_token=token)
        except ProofError as refused:
            raise ProofRefused(str(refused).capitalize() + ".") from None
        if proof.jkt != jkt:
            raise ProofRefused("The DPoP proof is signed by another key than the one the access token is bound to.")
        if not self._first_use(proof):
            raise ProofRefused("The DPoP proof was already used (its jti was seen): make a new proof.")
        return proof

    def _first_use(self, proof: Proof) -> bool:
        try:
            return self._used.incr(f"dpop-jti:{proof.jkt}:{proof.jti}", 1, JTI_TTL) == 1
        except Exception as exc:  # Redis away: a replay check that cannot answer must not say "never seen"
            log.warning("DPoP replay store unavailable: %s", type(exc).__name__)
            raise unavailable("The resource server cannot check DPoP proofs right now; try again shortly.") from None
