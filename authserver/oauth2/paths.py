"""Where each protocol endpoint lives; metadata derives every URL from the issuer and these."""

AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
REVOKE_PATH = "/oauth/revoke"
INTROSPECT_PATH = "/oauth/introspect"
USERINFO_PATH = "/oauth/userinfo"
JWKS_PATH = "/oauth/jwks"
# Served by the accounts package (RP-initiated logout); named here because metadata lists it.
END_SESSION_PATH = "/logout"
OAUTH_METADATA_PATH = "/.well-known/oauth-authorization-server"
OPENID_METADATA_PATH = "/.well-known/openid-configuration"

# Called by clients with their own credentials or a bearer token, never with a browser's cookie.
CLIENT_ENDPOINT_PATHS = frozenset({
    TOKEN_PATH, REVOKE_PATH, INTROSPECT_PATH, USERINFO_PATH, JWKS_PATH, OAUTH_METADATA_PATH, OPENID_METADATA_PATH,
})
