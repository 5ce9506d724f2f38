"""A DPoP client (RFC 9449) built on PyJWT, independent of the server's own JOSE code (joserfc)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class DPoPKey:
    """A P-256 key pair that signs proofs, and remembers the last ``DPoP-Nonce`` a server gave it."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.jwk = json.loads(ECAlgorithm.to_jwk(self.private.public_key()))
        self.nonce: str | None = None

    @property
    def jkt(self) -> str:
        """RFC 7638: SHA-256 of the required members, sorted, without whitespace."""
        members = {name: self.jwk[name] for name in ("crv", "kty", "x", "y")}
        return b64url(hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest())

    def proof(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        header: dict | None = None,
        leave_out: tuple[str, ...] = (),
        **claims,
    ) -> str:
        payload = {"jti": secrets.token_urlsafe(16), "htm": method, "htu": url, "iat": int(time.time())}
        if self.nonce:
            payload["nonce"] = self.nonce
        if access_token is not None:
            payload["ath"] = b64url(hashlib.sha256(access_token.encode("ascii")).digest())
        payload.update(claims)
        for name in leave_out:
            payload.pop(name, None)
        return jwt.encode(
            payload, self.private, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": self.jwk, **(header or {})}
        )

    def post_token(self, token_endpoint: str, data: dict, auth=None) -> requests.Response:
        """A token request with a proof, retried once with the nonce when the server asks for one (§8)."""
        for _ in range(2):
            headers = {"DPoP": self.proof("POST", token_endpoint)}
            response = requests.post(token_endpoint, data=data, auth=auth, headers=headers, timeout=10)
            self.nonce = response.headers.get("DPoP-Nonce", self.nonce)
            if response.status_code != 400 or response.json().get("error") != "use_dpop_nonce":
                return response
        return response

    def call(self, method: str, url: str, access_token: str, **kwargs) -> requests.Response:
        """A resource request with ``Authorization: DPoP`` and a proof for it (§7)."""
        headers = {"Authorization": f"DPoP {access_token}", "DPoP": self.proof(method, url, access_token=access_token)}
        return requests.request(method, url, headers=headers, timeout=10, **kwargs)
