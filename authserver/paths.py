"""Every URL path of the authorization server, in one place.

Protocol metadata derives each endpoint URL from the issuer and these; pages link to each other
with them. Paths the resource server also relies on live in ``shared.paths``.
"""

from shared.paths import LIMITS_PATH as LIMITS_PATH
from shared.paths import OAUTH_METADATA_PATH as OAUTH_METADATA_PATH
from shared.paths import REVOCATIONS_PATH as REVOCATIONS_PATH
from shared.paths import USAGE_PATH as USAGE_PATH

# Protocol endpoints (oauth2/).
AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
REVOKE_PATH = "/oauth/revoke"
INTROSPECT_PATH = "/oauth/introspect"
USERINFO_PATH = "/oauth/userinfo"
JWKS_PATH = "/oauth/jwks"
DEVICE_AUTHORIZATION_PATH = "/oauth/device_authorization"
# RFC 9126 pushed authorization requests.
PAR_PATH = "/oauth/par"
# RFC 7591 registration; RFC 7592 manages a client at REGISTER_PATH/<client_id>.
REGISTER_PATH = "/oauth/register"
# OpenID Connect RP-Initiated Logout 1.0 (oauth2/logout.py); also the sign-out page people use.
END_SESSION_PATH = "/logout"
OPENID_METADATA_PATH = "/.well-known/openid-configuration"

# Pages (accounts/, consent/, federation/).
LOGIN_PATH = "/login"
ACCOUNT_APPS_PATH = "/account/apps"
IDENTITIES_PATH = "/account/identities"
# The redirect URI registered at an upstream provider is the issuer + UPSTREAM_CALLBACK_PATH (the contract).
UPSTREAM_LOGIN_PATH = "/login/<name>"
UPSTREAM_CALLBACK_PATH = "/login/<name>/callback"
UPSTREAM_LINK_PATH = "/account/identities/link/<name>"
LINK_CONFIRM_PATH = "/login/link"
# The developer portal (portal/): a signed-in person's own apps.
DEVELOPER_APPS_PATH = "/developer/apps"
# The device flow's pages, opened by a person on another device (RFC 8628 §3.3): the code, then consent.
DEVICE_VERIFICATION_PATH = "/device"
DEVICE_CONSENT_PATH = "/device/consent"

# Called by clients with their own credentials or a bearer token, never with a browser's cookie.
CLIENT_ENDPOINT_PATHS = frozenset(
    {
        TOKEN_PATH,
        REVOKE_PATH,
        INTROSPECT_PATH,
        USERINFO_PATH,
        JWKS_PATH,
        OAUTH_METADATA_PATH,
        OPENID_METADATA_PATH,
        REGISTER_PATH,
        DEVICE_AUTHORIZATION_PATH,
        PAR_PATH,
    }
)
