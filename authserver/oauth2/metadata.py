"""Authorization server metadata (RFC 8414) and OpenID Provider metadata (OIDC Discovery §3).

Grant types and auth methods are read from the registered grants and endpoints, so what the
metadata promises is exactly what the server does.
"""

from __future__ import annotations

from authserver.extensions import get_config
from authserver.oauth2.server import AuthorizationServer
from authserver.paths import AUTHORIZE_PATH
from authserver.paths import DEVICE_AUTHORIZATION_PATH
from authserver.paths import END_SESSION_PATH
from authserver.paths import INTROSPECT_PATH
from authserver.paths import JWKS_PATH
from authserver.paths import PAR_PATH
from authserver.paths import REGISTER_PATH
from authserver.paths import REVOKE_PATH
from authserver.paths import TOKEN_PATH
from authserver.paths import USERINFO_PATH
from authserver.scopes.catalog import list_scopes
from authserver.tokens.keys import ALGORITHMS
from authserver.tokens.keys import JWS_ALGORITHMS

CLAIMS_SUPPORTED = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "acr",
    "amr",
    "nonce",
    "at_hash",
    "name",
    "email",
    "email_verified",
]


def _auth_methods(server: AuthorizationServer, endpoint_name: str) -> list[str]:
    return list(server.endpoint_classes[endpoint_name].CLIENT_AUTH_METHODS)


def server_metadata(server: AuthorizationServer) -> dict:
    issuer = get_config().issuer
    token_auth_methods: list[str] = []
    grant_types: list[str] = []
    for grant_cls in server.token_grants:
        if getattr(grant_cls, "ADVERTISED_WHEN_HELD", False) and not server.grant_held(grant_cls.GRANT_TYPE):
            continue
        grant_types.append(grant_cls.GRANT_TYPE)
        token_auth_methods.extend(m for m in grant_cls.TOKEN_ENDPOINT_AUTH_METHODS if m not in token_auth_methods)
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + AUTHORIZE_PATH,
        "token_endpoint": issuer + TOKEN_PATH,
        "jwks_uri": issuer + JWKS_PATH,
        "userinfo_endpoint": issuer + USERINFO_PATH,
        "revocation_endpoint": issuer + REVOKE_PATH,
        "introspection_endpoint": issuer + INTROSPECT_PATH,
        "end_session_endpoint": issuer + END_SESSION_PATH,
        "registration_endpoint": issuer + REGISTER_PATH,
        "device_authorization_endpoint": issuer + DEVICE_AUTHORIZATION_PATH,
        "pushed_authorization_request_endpoint": issuer + PAR_PATH,
        "require_pushed_authorization_requests": get_config().require_par,
        # draft-ietf-oauth-client-id-metadata-document: an https URL may be the client_id.
        "client_id_metadata_document_supported": True,
        "scopes_supported": [scope.name for scope in list_scopes()],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": grant_types,
        "token_endpoint_auth_methods_supported": token_auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": list(JWS_ALGORITHMS),
        "revocation_endpoint_auth_methods_supported": _auth_methods(server, "revocation"),
        "revocation_endpoint_auth_signing_alg_values_supported": list(JWS_ALGORITHMS),
        "introspection_endpoint_auth_methods_supported": _auth_methods(server, "introspection"),
        "introspection_endpoint_auth_signing_alg_values_supported": list(JWS_ALGORITHMS),
        "code_challenge_methods_supported": ["S256"],
        # RFC 9449 §5.1: proofs are checked at the token endpoint with any of these.
        "dpop_signing_alg_values_supported": list(JWS_ALGORITHMS),
        "authorization_response_iss_parameter_supported": True,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(ALGORITHMS),
        "claims_supported": CLAIMS_SUPPORTED,
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }
