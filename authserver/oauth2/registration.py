"""Dynamic client registration (RFC 7591) and client configuration (RFC 7592), bound to the
registration services. Each hook only translates; the policy lives in authserver.registration."""

from __future__ import annotations

from authlib.consts import default_json_headers
from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6749 import JsonPayload
from authlib.oauth2.rfc6749 import JsonRequest
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint as _ClientRegistrationEndpoint
from authlib.oauth2.rfc7592 import ClientConfigurationEndpoint as _ClientConfigurationEndpoint
from flask import request as flask_request

from authserver.extensions import get_config
from authserver.oauth2.errors import printable
from authserver.oauth2.models import OAuthClient
from authserver.paths import REGISTER_PATH
from authserver.registration import services as registration
from authserver.registration.metadata import InvalidRegistration
from authserver.registration.metadata import Trust
from authserver.registration.metadata import parse_metadata


class RegistrationError(OAuth2Error):
    """An RFC 7591 §3.2.2 error whose code the services chose."""

    def __init__(self, error: str, description: str):
        super().__init__(printable(description), error=error, status_code=400)


class TooManyRegistrations(OAuth2Error):
    error = "invalid_request"
    status_code = 429

    def get_headers(self):
        return [*super().get_headers(), ("Retry-After", str(registration.OPEN_REGISTRATION_WINDOW))]


def bearer_token(request) -> str | None:
    """The token in ``Authorization: Bearer`` (RFC 6750 §2.1), None when there is no header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidTokenError("Send the token as Authorization: Bearer.")
    return token.strip()


class _Payload(JsonPayload):
    """The JSON body; anything else (not JSON, not an object) reads as None and is refused by the
    metadata check in the protocol's own words, not with Flask's HTML 400."""

    def __init__(self, data):
        self._data = data

    @property
    def data(self):
        return self._data


def json_request() -> JsonRequest:
    request = flask_request._get_current_object()
    json_request = JsonRequest(request.method, get_config().issuer + request.path, request.headers)
    json_request.payload = _Payload(request.get_json(force=True, silent=True))
    return json_request


def check_metadata(data, public_only: bool):
    try:
        return parse_metadata(data, Trust(public_only=public_only))
    except InvalidRegistration as error:
        raise RegistrationError(error.error, str(error)) from None


def registration_response(result: registration.SelfRegistration) -> dict:
    """RFC 7591 §3.2.1 (and RFC 7592 §3): the registered metadata, with what manages it."""
    body = registration.client_metadata(result.client)
    if result.client_secret is not None:
        body["client_secret"] = result.client_secret
    if result.client.client_secret_digest is not None:
        body["client_secret_expires_at"] = 0  # secrets never expire; they are rotated
    if result.registration_access_token is not None:
        body["registration_access_token"] = result.registration_access_token
    body["registration_client_uri"] = f"{get_config().issuer}{REGISTER_PATH}/{result.client.client_id}"
    return body


class ClientRegistrationEndpoint(_ClientRegistrationEndpoint):
    """RFC 7591 §3. Software statements are refused: this server trusts no publisher's key."""

    ENDPOINT_NAME = "client_registration"

    def create_endpoint_request(self, request):
        return json_request()

    def authenticate_token(self, request) -> registration.Permit:
        try:
            return registration.permit(bearer_token(request), flask_request.remote_addr)
        except registration.RegistrationRefused as refused:
            if refused.throttled:
                raise TooManyRegistrations(refused.description) from None
            raise InvalidTokenError(refused.description) from None

    def extract_client_metadata(self, request):
        return check_metadata(request.payload.data, request.credential.public_only)

    def save_client(self, client_info, client_metadata, request) -> registration.SelfRegistration:
        try:
            return registration.register(client_metadata, request.credential)
        except registration.RegistrationRefused as refused:
            raise InvalidTokenError(refused.description) from None

    def create_registration_response(self, request):
        """Authlib's steps, with the answer built from what was stored rather than what was asked:
        RFC 7591 §3.2.1 lets the server substitute values, and the client must see which."""
        request.credential = self.authenticate_token(request)
        metadata = self.extract_client_metadata(request)
        result = self.save_client({}, metadata, request)
        return 201, registration_response(result), default_json_headers


class _RegistrationAccess:
    """A registration access token as Authlib's endpoint sees it: valid for its own client only."""

    def __init__(self, row, bearer: str):
        self.row = row
        self.bearer = bearer

    def check_client(self, client: OAuthClient) -> bool:
        return client.pk == self.row.client_id


class ClientConfigurationEndpoint(_ClientConfigurationEndpoint):
    """RFC 7592: read, replace and delete a registration with its registration access token."""

    ENDPOINT_NAME = "client_configuration"

    def create_endpoint_request(self, request):
        return json_request()

    def authenticate_token(self, request) -> _RegistrationAccess:
        """RFC 7592 §2: a token that is missing, wrong, replaced, or another client's is invalid_token."""
        bearer = bearer_token(request)
        row = registration.find_registration(flask_request.view_args["client_id"], bearer) if bearer else None
        if row is None:
            raise InvalidTokenError("The registration access token is not valid for this client.")
        return _RegistrationAccess(row, bearer)

    def authenticate_client(self, request) -> OAuthClient:
        return OAuthClient.from_row(request.credential.row.client)

    def check_permission(self, client, request) -> bool:
        return True

    def revoke_access_token(self, request, token) -> None:
        """Never reached: the token is found together with its client."""

    def extract_client_metadata(self, request):
        return check_metadata(request.payload.data, request.credential.row.initial_access_token_id is None)

    def update_client(self, client, client_metadata, request):
        try:
            request.updated = registration.update_registration(request.credential.row, client_metadata)
        except registration.RegistrationRefused as refused:
            raise InvalidTokenError(refused.description) from None
        return client

    def create_update_client_response(self, client, request):
        """RFC 7592 §2.2: Authlib reads the body as an object before checking it; anything else (no
        body, not JSON, a list) is refused first, as registration refuses it."""
        if not isinstance(request.payload.data, dict):
            check_metadata(request.payload.data, public_only=True)
        return super().create_update_client_response(client, request)

    def delete_client(self, client, request) -> None:
        registration.delete_registration(request.credential.row)

    def create_read_client_response(self, client, request):
        """RFC 7592 §3: the registration with its current registration access token (the new one after
        an update). A secret appears only when one was just issued: stored secrets are digests."""
        result = getattr(request, "updated", None) or registration.SelfRegistration(
            client=request.credential.row.client,
            client_secret=None,
            registration_access_token=request.credential.bearer,
        )
        return 200, registration_response(result), default_json_headers
