"""The provider types by name, as ``upstreams add --type`` spells them."""

from __future__ import annotations

from authserver.federation._core import ProviderType
from authserver.federation.facebook import FacebookType
from authserver.federation.github import GitHubType
from authserver.federation.google import GoogleType
from authserver.federation.oidc import OidcType

TYPES: dict[str, ProviderType] = {t.type_name: t for t in (OidcType(), GoogleType(), GitHubType(), FacebookType())}
