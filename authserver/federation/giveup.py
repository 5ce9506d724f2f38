"""Giving up: the way back to a third-party app that was waiting for this sign-in.

When the pending ``next`` is an authorization request, a person who abandons the upstream sign-in
can return to the app at once with ``access_denied`` (RFC 6749 §4.1.2.1), instead of having to
sign in only to press Deny. The redirect URI is checked against the client's registration exactly
as the authorization endpoint does, so this never becomes an open redirect (RFC 9700 §4.11.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

from authlib.common.urls import add_params_to_uri

from authserver.clients.redirects import redirect_uri_matches
from authserver.clients.services import find_enabled_client
from authserver.extensions import get_config
from authserver.paths import AUTHORIZE_PATH


@dataclass(frozen=True)
class WayBack:
    client_name: str
    url: str


def denial_for(next_url: str | None) -> WayBack | None:
    """The client's redirect URI with ``error=access_denied``, when ``next_url`` is its authorization request."""
    if not next_url:
        return None
    parts = urlsplit(next_url)
    if parts.path != AUTHORIZE_PATH:
        return None
    params = dict(parse_qsl(parts.query))
    client = find_enabled_client(params.get("client_id"))
    if client is None:
        return None
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None and len(client.redirect_uris) == 1:
        redirect_uri = client.redirect_uris[0]
    if not redirect_uri or not redirect_uri_matches(client.redirect_uris, redirect_uri):
        return None
    answer = {"error": "access_denied", "error_description": "The user cancelled signing in."}
    if params.get("state"):
        answer["state"] = params["state"]
    answer["iss"] = get_config().issuer  # RFC 9207 §2
    return WayBack(client.name, add_params_to_uri(redirect_uri, answer))
