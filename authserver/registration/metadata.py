"""Client metadata a registration asks for (RFC 7591 §2), checked and turned into what we register.

One function serves RFC 7591 registration, RFC 7592 updates and client ID metadata documents; the
caller says how far the asker is trusted. URL rules are the clients package's, shared with the portal.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from authserver.clients import services as clients
from authserver.clients.metadata import MAX_CONTACTS
from authserver.clients.metadata import MAX_NAME_LENGTH as MAX_NAME
from authserver.clients.metadata import MAX_REDIRECT_URIS
from authserver.clients.metadata import ClientMetadata
from authserver.clients.redirects import validate_redirect_uri
from authserver.errors import InvalidInput
from authserver.scopes.catalog import scope_restrictions
from authserver.scopes.policy import parse_scope

AUTHORIZATION_CODE = clients.AUTHORIZATION_CODE
REFRESH_TOKEN = clients.REFRESH_TOKEN
CLIENT_CREDENTIALS = clients.CLIENT_CREDENTIALS
PUBLIC = "none"
URL_FIELDS = ("client_uri", "logo_uri", "policy_uri", "tos_uri")
UNNAMED = "Unnamed app"


class MetadataError(InvalidInput):
    """A registration refused, with the RFC 7591 §3.2.2 error code that says why."""

    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error = error


def invalid(description: str) -> MetadataError:
    return MetadataError("invalid_client_metadata", description)


@dataclass(frozen=True)
class Trust:
    """How far the asker is trusted.

    ``public_only``: open registration and metadata documents, where anyone may ask: no secret is
    issued and restricted scopes are never registered. ``grant_types``: what the server speaks.
    """

    public_only: bool
    grant_types: tuple[str, ...]


def parse_metadata(data: object, trust: Trust) -> ClientMetadata:
    """RFC 7591 §2 metadata to what we register; members we do not know are ignored (§2)."""
    if not isinstance(data, dict):
        raise invalid("The request body must be a JSON object of client metadata.")
    if "software_statement" in data:
        _refuse_software_statement(data["software_statement"])
    auth_method = _auth_method(data, trust)
    # RFC 8252 §7.1: private-use URI schemes for apps registered as native (OIDC Registration's member).
    redirect_uris = _redirect_uris(data.get("redirect_uris"), native=data.get("application_type") == "native")
    grant_types = _grant_types(data.get("grant_types"), trust, auth_method)
    if AUTHORIZATION_CODE in grant_types and not redirect_uris:
        raise MetadataError("invalid_redirect_uri", "The authorization_code grant needs at least one redirect URI.")
    response_types = _response_types(data.get("response_types"), grant_types)
    jwks = data.get("jwks")
    if "jwks_uri" in data:
        raise invalid("jwks_uri is not supported: send the key set itself as jwks.")
    if auth_method == "private_key_jwt" and jwks is None:
        raise invalid("private_key_jwt needs the client's public keys in jwks.")
    if jwks is not None:
        _check(lambda: clients._check_key_set(jwks), "jwks")
    return ClientMetadata(
        client_name=_name(data.get("client_name")),
        redirect_uris=redirect_uris,
        grant_types=grant_types,
        response_types=response_types,
        token_endpoint_auth_method=auth_method,
        scope=_scope(data.get("scope"), trust, grant_types),
        contacts=_contacts(data.get("contacts")),
        jwks=jwks,
        **{name: _url(data, name) for name in URL_FIELDS},
    )


def _check(check, member: str) -> None:
    try:
        check()
    except InvalidInput as error:
        raise invalid(f"{member}: {error}") from None


def _refuse_software_statement(statement: object) -> None:
    """RFC 7591 §2.3: a statement we cannot read is invalid; one we can read is still not approved,
    since this server trusts no software publisher's key."""
    if not _is_compact_jws(statement):
        raise MetadataError("invalid_software_statement", "software_statement is not a signed JWT.")
    raise MetadataError("unapproved_software_statement", "This server approves no software statements.")


def _is_compact_jws(value: object) -> bool:
    if not isinstance(value, str) or value.count(".") != 2:
        return False
    header = value.split(".")[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(decoded, dict) and isinstance(decoded.get("alg"), str)


def _strings(value: object, member: str, error: str = "invalid_client_metadata") -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MetadataError(error, f"{member} must be an array of strings.")
    return list(dict.fromkeys(value))


def _auth_method(data: dict, trust: Trust) -> str:
    """RFC 7591 §2 defaults to client_secret_basic; where only public clients may register, an
    omitted method is ``none`` (a substitution §3.2.1 allows, and the response says so)."""
    method = data.get("token_endpoint_auth_method")
    if method is None:
        return PUBLIC if trust.public_only else "client_secret_basic"
    if method not in clients.AUTH_METHODS:
        raise invalid(f"token_endpoint_auth_method must be one of {', '.join(clients.AUTH_METHODS)}.")
    if trust.public_only and method != PUBLIC:
        raise invalid("Without an initial access token only public clients register: token_endpoint_auth_method must be none.")
    return method


def _redirect_uris(value: object, native: bool) -> list[str]:
    uris = _strings(value, "redirect_uris", "invalid_redirect_uri")
    if len(uris) > MAX_REDIRECT_URIS:
        raise MetadataError("invalid_redirect_uri", f"At most {MAX_REDIRECT_URIS} redirect URIs.")
    try:
        return [validate_redirect_uri(uri, native=native) for uri in uris]
    except InvalidInput as error:
        raise MetadataError("invalid_redirect_uri", str(error)) from None


def _grant_types(value: object, trust: Trust, auth_method: str) -> list[str]:
    """Grant types we do not speak are dropped, unless nothing usable is left (RFC 7591 §3.2.1 lets
    the server substitute values; refusing a client for one extra member helps nobody)."""
    asked = _strings(value, "grant_types") if value is not None else [AUTHORIZATION_CODE]
    granted = [grant for grant in asked if grant in trust.grant_types]
    if not [grant for grant in granted if grant != REFRESH_TOKEN]:
        raise invalid(f"grant_types names none this server supports ({', '.join(trust.grant_types)}).")
    if CLIENT_CREDENTIALS in granted and auth_method == PUBLIC:
        raise invalid("A public client (token_endpoint_auth_method none) cannot use client_credentials.")
    return granted


def _response_types(value: object, grant_types: list[str]) -> list[str]:
    """Only ``code`` exists here; it goes with the authorization_code grant (RFC 7591 §2.1)."""
    asked = _strings(value, "response_types") if value is not None else ["code"]
    if AUTHORIZATION_CODE not in grant_types:
        return []
    if "code" not in asked:
        raise invalid("The authorization_code grant needs the response type code.")
    return ["code"]


def _name(value: object) -> str:
    if value is None:
        return UNNAMED
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_NAME:
        raise invalid(f"client_name must be a string of 1 to {MAX_NAME} characters.")
    return value.strip()


def _url(data: dict, member: str) -> str | None:
    value = data.get(member)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"{member} must be a string.")
    _check(lambda: clients._check_page_uri(member, value), member)
    return value


def _contacts(value: object) -> list[str]:
    contacts = _strings(value, "contacts")
    if len(contacts) > MAX_CONTACTS or any(not c.strip() or len(c) > 254 for c in contacts):
        raise invalid(f"contacts: at most {MAX_CONTACTS}, each of 1 to 254 characters.")
    return contacts


def _scope(value: object, trust: Trust, grant_types: list[str]) -> list[str]:
    """Unknown scopes are refused; restricted ones are kept for an admin's approval, except where
    anyone may register: there they are left out."""
    if value is None:
        # Least privilege, as for an admin's client: sign-in only, no API scope. A client that needs
        # more lists it, as MCP clients do with the scopes the resource server advertises.
        return parse_scope(clients.least_privilege_scope(grant_types))
    if not isinstance(value, str):
        raise invalid("scope must be a space-separated string.")
    names = parse_scope(value)
    restricted = scope_restrictions(names)
    unknown = [name for name in names if name not in restricted]
    if unknown:
        raise invalid(f"Unknown scope {unknown[0]!r}.")
    # Restricted scopes are left out until admin approvals of them exist (the portal's part of issue 13).
    return [name for name in names if not restricted[name]]
