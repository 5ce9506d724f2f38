"""``private_key_jwt`` client authentication (RFC 7523 §2.2, OIDC Core §9) against registered JWKS."""

from __future__ import annotations

import time

from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from authserver.paths import DEVICE_AUTHORIZATION_PATH
from authserver.paths import INTROSPECT_PATH
from authserver.paths import PAR_PATH
from authserver.paths import REVOKE_PATH
from authserver.paths import TOKEN_PATH
from authserver.state.services import security_store
from authserver.tokens.keys import JWS_ALGORITHMS
from shared.config import Config
from shared.jose import ASYMMETRIC_KEY_TYPES


class PrivateKeyJWT(JWTBearerClientAssertion):
    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, config: Config):
        super().__init__(validate_jti=True, leeway=30)
        self.issuer = config.issuer

    def get_audiences(self) -> list[str]:
        return [self.issuer] + [
            self.issuer + path
            for path in (TOKEN_PATH, REVOKE_PATH, INTROSPECT_PATH, DEVICE_AUTHORIZATION_PATH, PAR_PATH)
        ]

    def resolve_client_public_key(self, client) -> KeySet:
        keys = [key for key in (client.jwks or {}).get("keys", []) if key.get("kty") in ASYMMETRIC_KEY_TYPES]
        if not keys:
            raise InvalidClientError(description="The client has no registered public keys.")
        try:
            return KeySet.import_key_set({"keys": keys})
        except (JoseError, ValueError, TypeError):
            raise InvalidClientError(description="The client's registered keys are unusable.") from None

    def process_assertion_claims(self, assertion, resolve_key):
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=list(JWS_ALGORITHMS))
        except (JoseError, ValueError):
            raise InvalidClientError(description="The client assertion is invalid.") from None
        self.verify_claims(token.claims)
        return token.claims

    def validate_jti(self, claims, jti) -> bool:
        """A client assertion is single-use (RFC 7523 §3 item 7): remember each jti until it expires."""
        if not isinstance(jti, str) or not jti or len(jti) > 256:
            return False
        ttl = max(1.0, float(claims["exp"]) - time.time() + self.leeway)
        # Shared by every process (authserver/state), so a replay to another worker is caught too.
        return security_store("client-assertion-jti").incr(f"{claims['sub']}:{jti}", 1, ttl) == 1
