"""Redirect URI rules: https and exact match, or loopback on any port (RFC 8252 §7.3, RFC 9700 §4.1.3)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from authserver.errors import InvalidInput

LOOPBACK_HOSTS = {"127.0.0.1", "::1"}


def _loopback_key(uri: str) -> tuple[str, str, str] | None:
    """Host, path and query of an http loopback URI, or None.

    The host is the one a browser would connect to: ``http://127.0.0.1:1@evil.example/`` is
    evil.example with userinfo, so URIs with userinfo or a port that is not a number never count.
    """
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:  # that, or an unclosed IPv6 bracket
        return None
    # RFC 6749 §3.1.2: a redirect URI has no fragment (registered ones never do).
    if parts.scheme != "http" or "@" in parts.netloc or "#" in uri:
        return None
    if parts.hostname in LOOPBACK_HOSTS:
        return parts.hostname, parts.path or "/", parts.query
    return None


MAX_REDIRECT_URI_LENGTH = 2000
# RFC 8252 §7.1: a private-use scheme is a reverse domain name the app controls (com.example.app).
PRIVATE_USE_SCHEME = re.compile(r"[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+")


def validate_redirect_uri(uri: str, *, native: bool = False) -> str:
    """The URI, stripped, if it may be registered; InvalidInput with the reason otherwise.

    ``https``, or ``http`` on a loopback address (RFC 8252 §7.3); with ``native``, also a private-use
    scheme such as ``com.example.app:/callback`` (RFC 8252 §7.1). Never a fragment (RFC 6749
    §3.1.2), userinfo (it disguises the host a browser goes to) or a wildcard (exact matching,
    RFC 9700 §4.1.3).
    """
    uri = (uri or "").strip()
    if len(uri) > MAX_REDIRECT_URI_LENGTH:
        raise InvalidInput(f"redirect URI is longer than {MAX_REDIRECT_URI_LENGTH} characters")
    if not uri.isascii() or not uri.isprintable() or " " in uri:
        raise InvalidInput(f"redirect URI {uri!r} is not a valid URL")
    try:
        parts = urlsplit(uri)
    except ValueError:  # an unclosed IPv6 bracket
        raise InvalidInput(f"redirect URI {uri!r} is not a valid URL") from None
    if parts.fragment or "#" in uri:
        raise InvalidInput(f"redirect URI {uri!r} must not contain a fragment")
    if "*" in uri:
        raise InvalidInput(f"redirect URI {uri!r} must not contain a wildcard: each is matched exactly")
    scheme = parts.scheme.lower()
    if native and PRIVATE_USE_SCHEME.fullmatch(scheme) and not parts.netloc and parts.path.startswith("/"):
        return uri
    if not parts.scheme or not parts.netloc:
        raise InvalidInput(f"redirect URI {uri!r} is not an absolute URL")
    if "@" in parts.netloc:
        raise InvalidInput(f"redirect URI {uri!r} must not contain a user name or password")
    if scheme == "https":
        return uri
    if _loopback_key(uri) is not None:
        return uri
    raise InvalidInput(
        f"redirect URI {uri!r} must use https, or http on the loopback address 127.0.0.1 or [::1]"
        + (", or a private-use scheme such as com.example.app:/callback" if native else "")
    )


def redirect_uri_matches(registered: list[str], candidate: str) -> bool:
    """Exact string match, except that a loopback URI matches on any port."""
    if candidate in registered:
        return True
    key = _loopback_key(candidate)
    if key is None:
        return False
    return any(_loopback_key(uri) == key for uri in registered)
