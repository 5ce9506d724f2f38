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


def exchange_scope(subject: str, consented: str, allowed: Collection[str], requested: str | None) -> str | None:
    """The scope of a token issued by token exchange (RFC 8693 §2.1): at most what the subject token
    carries, that the person consented to for the client it was issued to, and that the exchanging
    client may hold (``allowed``). What was asked for, or all of that when nothing was; None when the
    request asks beyond it."""
    consented_names = set(parse_scope(consented))
    bound = [name for name in parse_scope(subject) if name in consented_names and name in allowed]
    return authorization_scope(bound, requested)


def still_granted(scope: str, existing: Collection[str], withheld: Collection[str] = ()) -> str:
    """What a token's scope string is worth now: the names an admin has not removed since, without
    the restricted ones whose approval for its client was revoked since (``withheld``)."""
    return " ".join(name for name in parse_scope(scope) if name in existing and name not in withheld)


def leave_out(scope: str, withheld: Collection[str]) -> str:
    """``scope`` without the restricted names its client is not approved for: left out, not refused,
    by every grant (an app may ask for a restricted scope; an admin decides whether it gets it)."""
    if not withheld:
        return scope
    return " ".join(name for name in parse_scope(scope) if name not in withheld)


def withheld_among(listed: Collection[str], unapproved: str | None) -> list[str]:
    """Which of a client's ``listed`` scopes are restricted and not approved for it, given
    ``unapproved`` (space-separated, as ``catalog.unapproved_restricted_scopes`` reads it)."""
    names = set((unapproved or "").split())
    return [name for name in listed if name in names]
