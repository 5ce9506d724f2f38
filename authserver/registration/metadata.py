"""RFC 7591 registration policy over the shared client-metadata checks.

``clients.metadata`` checks the members every way in shares with the portal (redirect URIs, URLs,
limits, grant types, scopes). This adds what only software registering itself needs: the RFC's
defaults and error codes, software statements, and how far the asker is trusted. One function
serves RFC 7591 registration, RFC 7592 updates and client ID metadata documents.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from dataclasses import dataclass

from authserver.clients import metadata as shared
from authserver.clients.metadata import ClientMetadata
from authserver.clients.services import least_privilege_scope
from authserver.errors import InvalidInput
from authserver.scopes.catalog import scope_restrictions
from authserver.scopes.policy import parse_scope

PUBLIC = "none"
UNNAMED = "Unnamed app"
# The portal's own members: from the API, app_type would choose the auth method behind the policy's back.
PORTAL_ONLY = ("app_type",)


class InvalidRegistration(InvalidInput):
    """A registration refused, with the RFC 7591 §3.2.2 error code that says why."""

    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error = error


def invalid(description: str) -> InvalidRegistration:
    return InvalidRegistration("invalid_client_metadata", description)


@dataclass(frozen=True)
class Trust:
    """``public_only``: open registration and metadata documents, where anyone may ask: no secret
    is issued and restricted scopes are never registered. Otherwise (an initial access token) any
    kind of client, restricted scopes waiting for an admin's approval."""

    public_only: bool


def parse_metadata(data: object, trust: Trust) -> ClientMetadata:
    """RFC 7591 §2 metadata to what we register; members we do not know are ignored (§2)."""
    if not isinstance(data, dict):
        raise invalid("The request body must be a JSON object of client metadata.")
    if "software_statement" in data:
        _refuse_software_statement(data["software_statement"])
    if data.get("scope") is not None and not isinstance(data["scope"], str):
        raise invalid("scope: must be a space-separated string.")  # RFC 7591 §2 (the portal sends a list)
    values = {name: value for name, value in data.items() if name not in PORTAL_ONLY}
    values["token_endpoint_auth_method"] = _auth_method(data, trust)
    if values.get("grant_types") is None:
        values["grant_types"] = [shared.AUTHORIZATION_CODE]  # RFC 7591 §2's default
    if values.get("client_name") in (None, ""):
        values["client_name"] = UNNAMED
    try:
        metadata = shared.validate_client_metadata(values)
    except shared.MetadataError as error:
        described = "; ".join(f"{member}: {problem}" for member, problem in error.errors.items())
        raise InvalidRegistration(error.error_code, described) from None
    _check_response_types(data.get("response_types"), metadata)
    return dataclasses.replace(metadata, scope=_scope(data.get("scope"), metadata, trust))


def _refuse_software_statement(statement: object) -> None:
    """RFC 7591 §2.3: a statement we cannot read is invalid; one we can read is still not approved,
    since this server trusts no software publisher's key."""
    if not _is_compact_jws(statement):
        raise InvalidRegistration("invalid_software_statement", "software_statement is not a signed JWT.")
    raise InvalidRegistration("unapproved_software_statement", "This server approves no software statements.")


def _is_compact_jws(value: object) -> bool:
    if not isinstance(value, str) or value.count(".") != 2:
        return False
    header = value.split(".")[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(decoded, dict) and isinstance(decoded.get("alg"), str)


def _auth_method(data: dict, trust: Trust) -> object:
    """RFC 7591 §2 defaults to client_secret_basic; where only public clients may register, an
    omitted method is ``none`` (a substitution §3.2.1 allows, and the response says so)."""
    method = data.get("token_endpoint_auth_method")
    if method is None:
        return PUBLIC if trust.public_only else "client_secret_basic"
    if trust.public_only and method != PUBLIC:
        raise invalid(
            "token_endpoint_auth_method: without an initial access token only public clients register (none)."
        )
    return method


def _check_response_types(value: object, metadata: ClientMetadata) -> None:
    """Only ``code`` exists here, and it goes with the authorization_code grant (RFC 7591 §2.1)."""
    if value is None or shared.AUTHORIZATION_CODE not in metadata.grant_types:
        return
    if not isinstance(value, list) or "code" not in value:
        raise invalid("response_types: the authorization_code grant needs the response type code.")


def _scope(value: object, metadata: ClientMetadata, trust: Trust) -> list[str]:
    """Left out: least privilege, as for an admin's client (sign-in only, no API scope); a client that
    needs more names it, as MCP clients do with the scopes the resource server advertises. Restricted
    scopes wait for an admin's approval, except where anyone may register: there they are left out."""
    if value is None:
        return parse_scope(least_privilege_scope(metadata.grant_types))
    if not trust.public_only:
        return metadata.scope
    restricted = scope_restrictions(metadata.scope)
    return [name for name in metadata.scope if not restricted.get(name)]
