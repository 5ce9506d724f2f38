"""Redirect URI rules: https and exact match, or loopback on any port (RFC 8252 §7.3, RFC 9700 §4.1.3)."""

from __future__ import annotations

from urllib.parse import urlsplit

from authserver.errors import InvalidInput

LOOPBACK_HOSTS = {"127.0.0.1", "[::1]"}


def _loopback_key(uri: str) -> tuple[str, str, str] | None:
    parts = urlsplit(uri)
    netloc_host = parts.netloc.rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc
    if parts.scheme == "http" and netloc_host in LOOPBACK_HOSTS:
        return netloc_host, parts.path or "/", parts.query
    return None


def validate_redirect_uri(uri: str) -> str:
    uri = (uri or "").strip()
    parts = urlsplit(uri)
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
