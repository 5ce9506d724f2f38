"""The device authorization grant (RFC 8628): Authlib's endpoint and grant bound to our services.

The device asks for codes at the device authorization endpoint, shows the person the user code
and the verification page (``verification.py``), and polls the token endpoint with the device code.
"""

from __future__ import annotations

from authlib.common.urls import add_params_to_uri
from authlib.consts import default_json_headers
from authlib.oauth2.rfc6749.errors import InvalidGrantError
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc6749.errors import UnauthorizedClientError
from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint as _DeviceAuthorizationEndpoint
from authlib.oauth2.rfc8628 import DeviceCodeGrant as _DeviceCodeGrant
from authlib.oauth2.rfc8628 import DeviceCredentialMixin

from authserver.accounts.models import User
from authserver.db import utcnow
from authserver.extensions import get_config
from authserver.oauth2.grants import ALL_AUTH_METHODS
from authserver.oauth2.grants import USER_DISABLED
from authserver.oauth2.grants import save_issued_token
from authserver.oauth2.resources import audience_column
from authserver.oauth2.resources import audience_of
from authserver.oauth2.resources import narrowed_audience
from authserver.oauth2.resources import new_audience
from authserver.oauth2.resources import requested_resources
from authserver.paths import DEVICE_VERIFICATION_PATH
from authserver.tokens import device_codes
from authserver.tokens.models import DeviceAuthorization
from shared.security import new_credential

# What ``error_description`` says for each ``invalid_grant`` (RFC 6749 §5.2), as grants.py does.
UNKNOWN_DEVICE_CODE = "unknown device code, or one issued to another client"
DEVICE_CODE_USED = "the device code was already exchanged for tokens"
DEVICE_CODE_RACED = "the device code was exchanged by a concurrent request"


class OAuthDeviceCredential(DeviceCredentialMixin):
    """A device authorization row as Authlib's grant sees it, with the person who decided it."""

    def __init__(self, row: DeviceAuthorization, user: User | None, client_id: str):
        self.row = row
        self.user = user
        self.client_id = client_id

    def get_client_id(self) -> str:
        return self.client_id

    def get_scope(self) -> str:
        return self.row.scope

    def get_user_code(self) -> str:
        # Only the digest is stored; the grant reads the decision from this object, not by code.
        return self.row.user_code_digest

    def is_expired(self) -> bool:
        return self.row.expires_at <= utcnow()


class DeviceAuthorizationEndpoint(_DeviceAuthorizationEndpoint):
    """RFC 8628 §3.1–3.2: codes for a client registered for the device code grant."""

    ENDPOINT_NAME = "device_authorization"
    CLIENT_AUTH_METHODS = ALL_AUTH_METHODS
    # Ten minutes to find a browser, sign in and approve (§3.2 ``expires_in``).
    EXPIRES_IN = 600
    INTERVAL = 5

    def authenticate_client(self, request):
        """Only clients registered for the grant may start it (RFC 6749 §5.2 ``unauthorized_client``)."""
        client = super().authenticate_client(request)
        if not client.check_grant_type(DEVICE_CODE_GRANT_TYPE):
            raise UnauthorizedClientError("The client is not registered for the device code grant.")
        return client

    def generate_device_code(self) -> str:
        return new_credential()

    def generate_user_code(self) -> str:
        return device_codes.new_user_code()

    def get_verification_uri(self) -> str:
        return get_config().issuer + DEVICE_VERIFICATION_PATH

    def create_endpoint_response(self, request):
        """Authlib's steps, with the request's scope and ``resource`` checked before anything is stored
        (its ``save_device_credential`` hook is not given the request)."""
        client = self.authenticate_client(request)
        scope = client.get_allowed_scope(request.payload.scope)
        if scope is None:  # RFC 6749 §3.3: within the client's allowed scopes; none asks for all
            raise InvalidScopeError()
        # RFC 8707 §2: the resources named must be known; the tokens will be for them (or the default).
        audience = new_audience(requested_resources(request))
        device_code = self.generate_device_code()
        user_code = device_codes.create(
            device_code=device_code,
            user_code=self.generate_user_code(),
            client_pk=client.pk,
            scope=scope,
            audience=audience_column(audience),
            expires_in=self.EXPIRES_IN,
            interval=self.INTERVAL,
        )
        verification_uri = self.get_verification_uri()
        data = {
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": add_params_to_uri(verification_uri, [("user_code", user_code)]),
            "expires_in": self.EXPIRES_IN,
            "interval": self.INTERVAL,
        }
        return 200, data, default_json_headers


class DeviceCodeGrant(_DeviceCodeGrant):
    """RFC 8628 §3.4–3.5: polling answers ``authorization_pending``, ``slow_down``, ``expired_token``
    or ``access_denied`` until the person decided; an approved request is exchanged exactly once."""

    GRANT_TYPE = DEVICE_CODE_GRANT_TYPE
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS

    def authenticate_token_endpoint_client(self):
        client = super().authenticate_token_endpoint_client()
        self.request.client = client
        return client

    def validate_token_request(self) -> None:
        """RFC 8707 §2.2: the token may be for fewer of the resources authorized, never for others."""
        super().validate_token_request()
        granted = audience_of(self.request.credential.row.audience)
        self.request.audience = narrowed_audience(requested_resources(self.request), granted)

    def query_device_credential(self, device_code: str) -> OAuthDeviceCredential:
        """A code issued to another client, or already exchanged, is ``invalid_grant`` (RFC 6749 §5.2)."""
        client = self.request.client
        found = device_codes.find_for_client(device_code, client.pk)
        if found is None:
            raise InvalidGrantError(UNKNOWN_DEVICE_CODE)
        row, user = found
        if row.consumed_at is not None:
            raise InvalidGrantError(DEVICE_CODE_USED)
        self._credential = OAuthDeviceCredential(row, user, client.client_id)
        return self._credential

    def query_user_grant(self, user_code_digest: str):
        row = self._credential.row
        if row.status == device_codes.DENIED:
            return None, False
        if row.status != device_codes.APPROVED:
            return None
        user = self._credential.user
        if user is None or user.disabled:
            raise InvalidGrantError(USER_DISABLED)
        return user, True

    def should_slow_down(self, credential: OAuthDeviceCredential) -> bool:
        return device_codes.record_poll(credential.row)

    def save_token(self, token: dict) -> None:
        row = self.request.credential.row
        if not device_codes.consume(row.id):
            raise InvalidGrantError(DEVICE_CODE_RACED)
        save_issued_token(self.request, token, auth_time=row.auth_time, amr=row.amr)
