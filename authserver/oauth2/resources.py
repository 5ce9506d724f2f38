"""Resource indicators (RFC 8707): which resource servers a token is for.

A request names resource servers with ``resource`` (several allowed) at the authorization, token
and device authorization endpoints. Each must be the resource URL of a registered, enabled
resource server (``clients add --resource-server --resource-url URL``). A new grant (an
authorization request, client credentials, a device authorization request) gets what it names, or
``AUTHSERVER_DEFAULT_RESOURCE``, or no audience at all; a token minted from an earlier grant (a code
exchange, a refresh, a device code poll) may name fewer of the resources granted, never others.

An audience is a tuple of canonical resource identifiers (``shared.resources``), or None for none;
it is stored space-separated (``audience_column``).
"""

from __future__ import annotations

from authlib.oauth2.base import OAuth2Error

from authserver.extensions import get_config
from authserver.oauth2.server import get_server
from shared.resources import canonical_resource

Audience = tuple[str, ...] | None


class InvalidTargetError(OAuth2Error):
    """RFC 8707 §2: the resource named is malformed, unknown, or outside what was granted."""

    error = "invalid_target"
    status_code = 400


def requested_resources(request) -> tuple[str, ...]:
    """The ``resource`` parameters of an Authlib request, canonical and without repeats.

    RFC 8707 §2: each must be an absolute URI without a fragment; the server's own check against
    the registered resource servers comes after (``new_audience``, ``narrowed_audience``).
    """
    if "resource" not in request.payload.data:
        return ()  # most requests: no list of every parameter built for nothing
    values = request.payload.datalist["resource"]
    resources = []
    for value in values:
        canonical = canonical_resource(value)
        if canonical is None:
            raise InvalidTargetError("'resource' must be an absolute http(s) URI without a fragment.")
        if canonical not in resources:
            resources.append(canonical)
    return tuple(resources)


def new_audience(requested: tuple[str, ...]) -> Audience:
    """The audience of a new grant: the resources named, else the configured default, else none."""
    if not requested:
        default = get_config().default_resource
        return (default,) if default else None
    _require_known(requested)
    return requested


def narrowed_audience(requested: tuple[str, ...], granted: Audience) -> Audience:
    """The audience of a token minted from a grant: the resources named, each one granted, else the
    grant's. A grant without an audience lets a token name any known resource server (narrower
    than "every one"); one with an audience never widens (RFC 8707 §2.2)."""
    if not requested:
        return granted
    _require_known(requested)
    if granted is not None and not set(requested) <= set(granted):
        raise InvalidTargetError("The 'resource' asked for was not part of this grant.")
    return requested


def _require_known(requested: tuple[str, ...]) -> None:
    known = get_server().resources.get()
    if not set(requested) <= known:
        raise InvalidTargetError("The 'resource' asked for is not a resource server this server knows.")


def audience_column(audience: Audience) -> str | None:
    return " ".join(audience) if audience else None


def audience_of(column: str | None) -> Audience:
    return tuple(column.split()) if column else None
