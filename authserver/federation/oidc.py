"""Any OpenID Connect provider, through its discovery document (OpenID Connect Discovery 1.0)."""

from __future__ import annotations

from authlib.integrations.flask_client import FlaskOAuth2App
from joserfc.errors import JoseError

from authserver.accounts.methods import registered_methods
from authserver.errors import InvalidInput
from authserver.federation._core import ProviderSettings
from authserver.federation._core import ProviderType
from authserver.federation._core import TTLCache
from authserver.federation._core import UpstreamFailure
from authserver.federation._core import UpstreamUser
from authserver.federation._core import api_get
from authserver.tokens.keys import JWS_ALGORITHMS

# Clock skew tolerated on exp/iat, in seconds.
ID_TOKEN_LEEWAY = 60

_documents = TTLCache()


def forget_documents() -> None:
    """Drop cached discovery documents and key sets (tests reuse ports for different upstreams)."""
    _documents.clear()


def _is_true(value: object) -> bool:
    # Some providers send the boolean as a string.
    return value is True or value == "true"


class OidcType(ProviderType):
    type_name = "oidc"
    display_name = "OpenID Connect"
    scope = "openid email profile"
    default_issuer: str | None = None

    def check_settings(self, issuer, urls) -> None:
        if not (issuer or self.default_issuer):
            raise InvalidInput(f"type {self.type_name!r} needs --issuer (its discovery document is read from there)")

    def label(self, name: str) -> str:
        return name.replace("-", " ").replace("_", " ").title()

    def metadata(self, settings: ProviderSettings, timeout: float) -> dict:
        """The discovery document, checked (OIDC Discovery §4.3: its issuer must be the one configured)."""
        issuer = (settings.issuer or self.default_issuer or "").rstrip("/")
        document = _documents.get_json(f"{issuer}/.well-known/openid-configuration", timeout)
        if document.get("issuer") != issuer:
            raise UpstreamFailure("upstream_error", f"discovery document names issuer {document.get('issuer')!r}")
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(field), str):
                raise UpstreamFailure("upstream_error", f"discovery document has no {field}")
        metadata = dict(document)
        if settings.authorize_url:
            metadata["authorization_endpoint"] = settings.authorize_url
        if settings.token_url:
            metadata["token_endpoint"] = settings.token_url
        if settings.userinfo_url:
            metadata["userinfo_endpoint"] = settings.userinfo_url
        # OIDC Discovery: RS256 is the default and must be supported.
        algs = document.get("id_token_signing_alg_values_supported") or ["RS256"]
        metadata["id_token_signing_alg_values_supported"] = [a for a in algs if a in JWS_ALGORITHMS] or ["RS256"]
        metadata["jwks"] = _documents.get_json(document["jwks_uri"], timeout)
        return metadata

    def issuer_values(self, metadata: dict) -> list[str]:
        return [metadata["issuer"]]

    def choose_auth_method(self, metadata: dict) -> str:
        # OIDC Discovery: when absent, the default is client_secret_basic.
        offered = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        for method in ("client_secret_basic", "client_secret_post"):
            if method in offered:
                return method
        raise UpstreamFailure("upstream_error", f"no supported token endpoint auth method in {offered}")

    def fetch_user(self, client: FlaskOAuth2App, token: dict, state_data: dict) -> UpstreamUser:
        """Validate the id_token (OIDC Core §3.1.3.7): signature by the issuer's keys, iss, aud, exp, nonce."""
        if "id_token" not in token:
            raise UpstreamFailure("invalid_id_token", "the token response has no id_token")
        metadata = client.server_metadata
        options = {
            "iss": {"essential": True, "values": self.issuer_values(metadata)},
            "aud": {"essential": True, "value": client.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
        }
        try:
            claims = client.parse_id_token(
                token, nonce=state_data["nonce"], claims_options=options, leeway=ID_TOKEN_LEEWAY
            )
        except (JoseError, ValueError) as exc:
            raise UpstreamFailure("invalid_id_token", f"{type(exc).__name__}: {exc}") from exc
        email = claims.get("email")
        verified = _is_true(claims.get("email_verified"))
        if not email and metadata.get("userinfo_endpoint"):
            info = api_get(client, metadata["userinfo_endpoint"], token)
            # OIDC Core §5.3.2: userinfo of another subject must not be used.
            if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
                raise UpstreamFailure("upstream_error", "userinfo answered for another subject")
            email = info.get("email")
            verified = _is_true(info.get("email_verified"))
        return UpstreamUser(
            subject=str(claims["sub"]),
            email=email if isinstance(email, str) else None,
            email_verified=verified,
            name=claims.get("name") if isinstance(claims.get("name"), str) else None,
            amr=registered_methods(claims.get("amr")),
        )
