"""The authorization server's DPoP state (RFC 9449): server nonces and used proof ``jti`` values.

Nonces (§8) are computed, not stored: the HMAC, under the server's secret key, of the current
``NONCE_WINDOW``-second period. Any process verifies one without asking another, and a nonce is
accepted during its own period and the next, so it is good for ``NONCE_WINDOW`` to twice that.
A ``jti`` is marked used in the security store (Redis, or the database), shared by every process.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import time

from authserver.extensions import get_config
from authserver.state.services import security_store
from shared.dpop import JTI_TTL

NONCE_WINDOW = 300


def _nonce_for(window: int) -> str:
    return _nonce(get_config().secret_key, window)


# Every token response carries the current nonce: computed once per period, not per response.
@functools.lru_cache(maxsize=4)
def _nonce(secret_key: str, window: int) -> str:
    mac = hmac.new(secret_key.encode("utf-8"), f"dpop-nonce:{window}".encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def current_nonce() -> str:
    """The nonce to hand out now (the ``DPoP-Nonce`` header)."""
    return _nonce_for(int(time.time()) // NONCE_WINDOW)


def nonce_is_fresh(nonce: str | None) -> bool:
    """Is ``nonce`` one this server handed out in the current period or the one before?"""
    if not nonce:
        return False
    window = int(time.time()) // NONCE_WINDOW
    return any(hmac.compare_digest(nonce, _nonce_for(w)) for w in (window, window - 1))


def first_use(jkt: str, jti: str) -> bool:
    """Mark the proof ``jti`` of key ``jkt`` used; True only the first time (§11.1), in any process.

    A store outage raises (answered 503): a replay check that cannot answer must not say "never seen".
    """
    return security_store("dpop-jti").incr(f"{jkt}:{jti}", 1, JTI_TTL) == 1
