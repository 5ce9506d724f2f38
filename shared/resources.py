"""Resource identifiers (RFC 8707 §2), in the one form both apps compare.

The authorization server stores a token's audience in this form and the resource server compares
its own ``RESOURCE_URL`` in this form, so ``http://HOST:5001/`` (how pydantic's URL type, and so
the MCP SDK, writes a bare origin) and ``http://host:5001`` name the same resource.
"""

from __future__ import annotations

from urllib.parse import urlsplit
from urllib.parse import urlunsplit

MAX_LENGTH = 500


def canonical_resource(uri: str | None) -> str | None:
    """The canonical form of an http(s) resource identifier, or None when ``uri`` is not one.

    RFC 8707 §2: an absolute URI without a fragment. Scheme and host are case-insensitive
    (RFC 3986 §6.2.2.1) and an empty path is the same as "/" (§6.2.3): both are normalised.
    """
    if not isinstance(uri, str) or not uri or len(uri) > MAX_LENGTH or not uri.isascii() or not uri.isprintable():
        return None
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        return None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or "#" in uri
        or parts.username
        or " " in uri
    ):
        return None
    path = "" if parts.path == "/" else parts.path
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))
