"""How a person signed in: authentication method references (``amr``, RFC 8176) and the
authentication context class (``acr``, OIDC Core §2) they amount to.

The methods are recorded in the session at sign-in and travel, as one space-separated column, to the
authorization code or device authorization, then to every token of the family: id_tokens (at the
code exchange, on refresh, for the device) and introspection read them from there.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from datetime import datetime

PASSWORD = "pwd"
FEDERATED = "fed"

# RFC 8176 §2 and the IANA "Authentication Method Reference Values" registry: only these may come
# from an upstream, so no free text of another party reaches our tokens.
REGISTERED = frozenset(
    {
        "face",
        "fed",
        "fpt",
        "geo",
        "hwk",
        "iris",
        "kba",
        "mca",
        "mfa",
        "otp",
        "pin",
        "pop",
        "pwd",
        "rba",
        "retina",
        "sc",
        "sms",
        "swk",
        "tel",
        "user",
        "vbm",
        "wia",
    }
)

# ISO/IEC 29115 level 1, numbered as OIDC Core §2 suggests: one factor, as far as this server can
# tell (a password here, or an upstream's word). Every sign-in this server offers is at this level;
# "0" (no real authentication) is never issued.
SINGLE_FACTOR = "1"


def registered_methods(reported: object) -> tuple[str, ...]:
    """The registered values of an ``amr`` another party sent (anything else is dropped), in its order."""
    if not isinstance(reported, list):
        return ()
    return tuple(dict.fromkeys(value for value in reported if isinstance(value, str) and value in REGISTERED))


def federated(upstream_amr: Sequence[str] = ()) -> tuple[str, ...]:
    """A sign-in through an upstream: ``fed``, then the methods the upstream reported it used."""
    return tuple(dict.fromkeys((FEDERATED, *upstream_amr)))


def amr_column(methods: Iterable[str] | None) -> str | None:
    """The stored form: space-separated (registered values have no spaces); None when unknown."""
    joined = " ".join(methods or ())
    return joined or None


def amr_of(column: str | None) -> list[str] | None:
    return column.split() if column else None


def acr_for(amr: Sequence[str] | None) -> str | None:
    """The ``acr`` of a sign-in made with ``amr``; None for a sign-in recorded without its methods."""
    return SINGLE_FACTOR if amr else None


def sign_in_claims(auth_time: datetime | None, amr_column_value: str | None) -> dict:
    """``auth_time``, ``amr`` and ``acr`` of a sign-in, for an id_token or an introspection answer:
    only those known (a row from before methods were recorded has no ``amr`` and no ``acr``)."""
    claims: dict = {}
    if auth_time is not None:
        claims["auth_time"] = int(auth_time.timestamp())
    amr = amr_of(amr_column_value)
    if amr:
        claims["amr"] = amr
        claims["acr"] = acr_for(amr)
    return claims
