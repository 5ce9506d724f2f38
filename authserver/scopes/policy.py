"""Scope decisions: what a request may be granted, given what a client is allowed and what exists.

Pure functions over names, no database: the grants (oauth2/) and the services call them, so
every rule about scopes is written once, here.
"""

from __future__ import annotations

import re
from collections.abc import Collection

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")
# The scopes OpenID Connect defines (every new database has them): about a person, not an API.
OPENID_SCOPES = ("openid", "profile", "email", "offline_access")
# A token without a user (client credentials) cannot carry them.
USER_SCOPES = frozenset(OPENID_SCOPES)


def parse_scope(value: str | None) -> list[str]:
    """Space-delimited scope string to an ordered list without duplicates."""
    return list(dict.fromkeys((value or "").split()))


def authorization_scope(allowed: Collection[str], requested: str | None) -> str | None:
    """The scope a user's authorization may grant: what was asked, or None when any of it is
    outside the client's registration (RFC 6749 §3.3); nothing asked means all it is allowed."""
    names = parse_scope(requested)
    if not names:
        return " ".join(allowed)
    if not set(names) <= set(allowed):
        return None
    return " ".join(names)


def client_credentials_scope(allowed: Collection[str], requested: str | None) -> str | None:
    """The scope of a client-credentials token (RFC 6749 §4.4): as ``authorization_scope``, but
    never a scope that describes a person, since no person is behind the token."""
    return authorization_scope([name for name in allowed if name not in USER_SCOPES], requested)


def still_granted(scope: str, existing: Collection[str]) -> str:
    """What a token's scope string is worth now: the names an admin has not removed since."""
    return " ".join(name for name in parse_scope(scope) if name in existing)
