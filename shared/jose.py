"""What both apps accept of JOSE: one list of signature algorithms."""

from __future__ import annotations

# The one list of JWS algorithms (RFC 7518 §3.1) accepted on any signature: client assertions, upstream
# id_tokens, our own id_tokens handed back, DPoP proofs at either app. Asymmetric only: "none" proves
# nothing, and HS* would make a client secret (or, for DPoP, nothing at all) a signing key.
JWS_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
# The key types those algorithms sign with (RFC 7518 §6, RFC 8037): never "oct", a shared secret.
ASYMMETRIC_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})
