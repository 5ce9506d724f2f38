"""Google: an OpenID Connect provider at a well-known issuer."""

from __future__ import annotations

from authserver.federation.oidc import OidcType


class GoogleType(OidcType):
    type_name = "google"
    display_name = "Google"
    default_issuer = "https://accounts.google.com"

    def label(self, name: str) -> str:
        return self.display_name

    def issuer_values(self, metadata: dict) -> list[str]:
        # Google documents that its id_tokens may name the issuer without the scheme.
        return [metadata["issuer"], "accounts.google.com"]
