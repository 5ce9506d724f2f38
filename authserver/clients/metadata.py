"""Client metadata (RFC 7591 §2) checked once for every way in: the developer portal and the RFC 7591/7592 API.

``validate_client_metadata(values)`` takes a mapping with RFC 7591 member names and returns a
``ClientMetadata``, or raises ``MetadataError`` whose ``errors`` maps each wrong member to a one-line
message: the portal shows each next to its field, the API answers with ``error_code``
(``invalid_redirect_uri`` or ``invalid_client_metadata``) and the messages as its description.
Members it does not know are ignored (RFC 7591 §2: real clients send many).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import urlsplit

from authserver.clients.redirects import validate_redirect_uri
from authserver.errors import InvalidInput
from authserver.scopes.catalog import unknown_scopes
from authserver.scopes.policy import parse_scope

AUTHORIZATION_CODE = "authorization_code"
REFRESH_TOKEN = "refresh_token"
CLIENT_CREDENTIALS = "client_credentials"
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
# What an app may register for itself (the portal, RFC 7591).
SUPPORTED_GRANT_TYPES = (AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS, DEVICE_CODE)
# Token exchange (RFC 8693) lets a client act for people whose tokens it is shown: an admin grants it.
ADMIN_GRANT_TYPES = (*SUPPORTED_GRANT_TYPES, TOKEN_EXCHANGE)
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
# How the client's access tokens look: "opaque" random values only introspection explains, or "jwt",
# RFC 9068 JWTs signed with the server's keys, which a resource server can validate without a call.
OPAQUE = "opaque"
JWT = "jwt"
ACCESS_TOKEN_FORMATS = (OPAQUE, JWT)

MAX_APPS_PER_OWNER = 20
MAX_REDIRECT_URIS = 10
MAX_CONTACTS = 10
MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 1000
MAX_URL_LENGTH = 500
MAX_CONTACT_LENGTH = 320
URL_FIELDS = ("client_uri", "logo_uri", "policy_uri", "tos_uri")

# The portal's kinds of app and the registration each implies. ``spa`` and ``native`` are public
# clients, which must use PKCE (OAuth 2.1 §2.1); ``service`` is a partner's backend.
APP_TYPES = {
    "web": {"grant_types": [AUTHORIZATION_CODE, REFRESH_TOKEN], "token_endpoint_auth_method": "client_secret_basic"},
    "native": {"grant_types": [AUTHORIZATION_CODE, REFRESH_TOKEN], "token_endpoint_auth_method": "none"},
    "spa": {"grant_types": [AUTHORIZATION_CODE, REFRESH_TOKEN], "token_endpoint_auth_method": "none"},
    "service": {"grant_types": [CLIENT_CREDENTIALS], "token_endpoint_auth_method": "client_secret_basic"},
}


class MetadataError(InvalidInput):
    """Some members are wrong; ``errors`` maps each member's name to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))

    @property
    def error_code(self) -> str:
        """The RFC 7591 §3.2.2 error code for this failure."""
        return "invalid_redirect_uri" if "redirect_uris" in self.errors else "invalid_client_metadata"


@dataclass(frozen=True)
class ClientMetadata:
    """Checked metadata, ready for ``clients.services`` (``create_client``, ``update_client``, ``apply_metadata``):
    the portal's (``validate_client_metadata``), the registration API's (``registration.metadata``)."""

    client_name: str
    redirect_uris: list[str]
    grant_types: list[str]
    response_types: list[str]
    token_endpoint_auth_method: str
    scope: list[str]
    app_type: str | None = None
    client_uri: str | None = None
    logo_uri: str | None = None
    policy_uri: str | None = None
    tos_uri: str | None = None
    description: str | None = None
    contacts: list[str] = field(default_factory=list)
    jwks: dict | None = None
    # None: as it is (a new client's is opaque); our own member, RFC 9068 defines none.
    access_token_format: str | None = None
    # RFC 9449 §5.2: every token request must carry a DPoP proof. None: as it is (a new client's is off).
    dpop_bound_access_tokens: bool | None = None


def validate_client_metadata(values: Mapping[str, object]) -> ClientMetadata:
    """Check every member and report every wrong one at once (see the module docstring).

    ``app_type`` (``web``, ``native``, ``spa``, ``service``), when given, decides ``grant_types``
    and ``token_endpoint_auth_method`` (any sent are ignored). Otherwise they are read as sent:
    unknown grant types are dropped, and refused only when nothing usable remains.
    """
    errors: dict[str, str] = {}
    app_type = values.get("app_type")
    if app_type is not None and app_type not in APP_TYPES:
        errors["app_type"] = f"choose one of: {', '.join(APP_TYPES)}"
        app_type = None
    if app_type is not None:
        grant_types = list(APP_TYPES[app_type]["grant_types"])
        auth_method = APP_TYPES[app_type]["token_endpoint_auth_method"]
    else:
        grant_types = _grant_types(values.get("grant_types"), errors)
        auth_method = values.get("token_endpoint_auth_method") or "client_secret_basic"
        if auth_method not in AUTH_METHODS:
            errors["token_endpoint_auth_method"] = f"choose one of: {', '.join(AUTH_METHODS)}"
    native = app_type == "native" or values.get("application_type") == "native"

    name = _text(values.get("client_name"), "client_name", MAX_NAME_LENGTH, errors, required=True)
    description = _text(values.get("description"), "description", MAX_DESCRIPTION_LENGTH, errors)
    redirect_uris = _redirect_uris(values.get("redirect_uris"), native, errors)
    if AUTHORIZATION_CODE in grant_types and not redirect_uris and "redirect_uris" not in errors:
        errors["redirect_uris"] = "give at least one redirect URI"
    if auth_method == "none" and CLIENT_CREDENTIALS in grant_types:
        errors["grant_types"] = "a public client cannot use client_credentials"
    if auth_method == "private_key_jwt":
        errors["token_endpoint_auth_method"] = "private_key_jwt is registered by an administrator"
    urls = {name: _url(values.get(name), name, errors) for name in URL_FIELDS}
    contacts = _contacts(values.get("contacts"), errors)
    scope = _scope(values.get("scope"), errors)
    token_format = values.get("access_token_format")
    if token_format is not None and token_format not in ACCESS_TOKEN_FORMATS:
        errors["access_token_format"] = f"choose one of: {', '.join(ACCESS_TOKEN_FORMATS)}"
    dpop_bound = values.get("dpop_bound_access_tokens")
    if dpop_bound is not None and not isinstance(dpop_bound, bool):
        errors["dpop_bound_access_tokens"] = "must be true or false"
    if errors:
        raise MetadataError(errors)
    return ClientMetadata(
        client_name=name,
        redirect_uris=redirect_uris,
        grant_types=grant_types,
        response_types=["code"] if AUTHORIZATION_CODE in grant_types else [],
        token_endpoint_auth_method=auth_method,
        scope=scope,
        app_type=app_type,
        description=description,
        contacts=contacts,
        access_token_format=token_format,
        dpop_bound_access_tokens=dpop_bound,
        **urls,
    )


def _text(value, member: str, limit: int, errors: dict, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            errors[member] = "required"
        return None
    if not isinstance(value, str):
        errors[member] = "must be a string"
        return None
    value = value.strip()
    if required and not value:
        errors[member] = "required"
    elif len(value) > limit:
        errors[member] = f"at most {limit} characters"
    elif not value.replace("\n", " ").replace("\r", "").isprintable():
        errors[member] = "must not contain control characters"
    return value or None


def _redirect_uris(value, native: bool, errors: dict) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(uri, str) for uri in value):
        errors["redirect_uris"] = "must be a list of URLs"
        return []
    uris = list(dict.fromkeys(uri.strip() for uri in value if uri.strip()))
    if len(uris) > MAX_REDIRECT_URIS:
        errors["redirect_uris"] = f"at most {MAX_REDIRECT_URIS} redirect URIs"
        return []
    try:
        return [validate_redirect_uri(uri, native=native) for uri in uris]
    except InvalidInput as exc:
        errors["redirect_uris"] = str(exc)
        return []


def _grant_types(value, errors: dict) -> list[str]:
    if value is None:
        return [AUTHORIZATION_CODE, REFRESH_TOKEN]  # RFC 7591 §2: the default is authorization_code
    if not isinstance(value, list) or not all(isinstance(grant, str) for grant in value):
        errors["grant_types"] = "must be a list of grant types"
        return []
    if TOKEN_EXCHANGE in value:
        errors["grant_types"] = f"{TOKEN_EXCHANGE} is granted by an administrator"
        return []
    known = [grant for grant in dict.fromkeys(value) if grant in SUPPORTED_GRANT_TYPES]
    if not known or known == [REFRESH_TOKEN]:
        errors["grant_types"] = f"none usable: choose from {', '.join(SUPPORTED_GRANT_TYPES)}"
    return known


def _url(value, member: str, errors: dict) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors[member] = "must be an http or https URL"
        return None
    value = value.strip()
    problem = page_url_problem(value)
    if problem:
        errors[member] = problem
    return value or None


def page_url_problem(value: str | None) -> str | None:
    """What is wrong with a page URL the consent screen links to (home page, logo, policy, terms), or None.

    Only http(s): a javascript: or data: URL there would run in our origin.
    """
    if value is None:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:  # an unclosed IPv6 bracket
        parts = None
    if len(value) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or not value.isascii()
        or not value.isprintable()
        or " " in value
    ):
        return "must be an http or https URL"
    if "@" in parts.netloc:
        return "must not contain a user name or password"
    return None


def _contacts(value, errors: dict) -> list[str]:
    if value is None:
        return []
    if (
        not isinstance(value, list)
        or len(value) > MAX_CONTACTS
        or not all(isinstance(c, str) and 0 < len(c) <= MAX_CONTACT_LENGTH and c.isprintable() for c in value)
    ):
        errors["contacts"] = f"at most {MAX_CONTACTS} e-mail addresses of up to {MAX_CONTACT_LENGTH} characters"
        return []
    return list(dict.fromkeys(value))


def _scope(value, errors: dict) -> list[str]:
    """Scopes the client may ask for; restricted ones are granted only once an admin approves them."""
    if value is None:
        return []
    if isinstance(value, list):  # the portal's checkboxes
        value = " ".join(v for v in value if isinstance(v, str))
    if not isinstance(value, str):
        errors["scope"] = "must be a space-separated string"
        return []
    names = parse_scope(value)
    unknown = unknown_scopes(names)
    if unknown:
        errors["scope"] = f"unknown scope {unknown[0]!r}"
        return []
    return names
