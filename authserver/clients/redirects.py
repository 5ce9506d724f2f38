"""Redirect URI rules: https and exact match, or loopback on any port (RFC 8252 §7.3, RFC 9700 §4.1.3)."""

from __future__ import annotations

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


def validate_redirect_uri(uri: str) -> str:
    uri = (uri or "").strip()
    try:
        parts = urlsplit(uri)
    except ValueError:  # an unclosed IPv6 bracket
        raise InvalidInput(f"redirect URI {uri!r} is not a valid URL") from None
    if not parts.scheme or not parts.netloc:
        raise InvalidInput(f"redirect URI {uri!r} is not an absolute URL")
    if parts.fragment or "#" in uri:
        raise InvalidInput(f"redirect URI {uri!r} must not contain a fragment")
    if parts.scheme == "https":
        return uri
    if _loopback_key(uri) is not None:
        return uri
    raise InvalidInput(
        f"redirect URI {uri!r} must use https, or http on the loopback address 127.0.0.1 or [::1]"
    )


def redirect_uri_matches(registered: list[str], candidate: str) -> bool:
    """Exact string match, except that a loopback URI matches on any port."""
    if candidate in registered:
        return True
    key = _loopback_key(candidate)
    if key is None:
        return False
    return any(_loopback_key(uri) == key for uri in registered)
