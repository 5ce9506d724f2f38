"""The scopes that exist: lookups for the other packages, and a per-process cache of the names."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select

from authserver.clients.models import Client
from authserver.errors import InvalidInput
from authserver.extensions import db_session
from authserver.scopes import policy
from authserver.scopes.models import Scope
from authserver.scopes.models import ScopeApproval
from shared.cache import TimedValue


def list_scopes() -> list[Scope]:
    return list(db_session().scalars(select(Scope).order_by(Scope.name)))


def scope_names() -> frozenset[str]:
    return frozenset(db_session().scalars(select(Scope.name)))


def scope_descriptions(names: list[str]) -> dict[str, str]:
    rows = db_session().scalars(select(Scope).where(Scope.name.in_(names)))
    return {row.name: row.description for row in rows}


def unknown_scopes(names: list[str]) -> list[str]:
    """The names among ``names`` that no admin added, in order."""
    if not names:
        return []
    known = set(db_session().scalars(select(Scope.name).where(Scope.name.in_(names))))
    return [n for n in names if n not in known]


def require_known_scopes(names: list[str]) -> None:
    unknown = unknown_scopes(names)
    if unknown:
        raise InvalidInput(f"unknown scope {unknown[0]!r}: add it with `scopes add` first")


def default_client_scopes() -> list[str]:
    """What a client may ask for when its registration names no scopes: every unrestricted scope."""
    return list(db_session().scalars(select(Scope.name).where(Scope.restricted.is_(False)).order_by(Scope.name)))


def scope_restrictions(names: list[str]) -> dict[str, bool]:
    """Whether each of these scopes is restricted; scopes that do not exist are absent."""
    if not names:
        return {}
    rows = db_session().execute(select(Scope.name, Scope.restricted).where(Scope.name.in_(names)))
    return {name: restricted for name, restricted in rows}


def unapproved_restricted_scopes():
    """A column for a query of clients: the restricted scope names not approved for each, space-joined.

    A correlated subquery, so a client and what it is withheld come in one round trip.
    """
    approved = select(ScopeApproval.id).where(ScopeApproval.client_id == Client.id, ScopeApproval.scope_id == Scope.id)
    return (
        select(func.aggregate_strings(Scope.name, " "))
        .where(Scope.restricted.is_(True), ~approved.exists())
        .correlate(Client)
        .scalar_subquery()
    )


class ScopeCache(TimedValue[frozenset[str]]):
    """The names of the scopes that exist, cached per process for ``ttl`` seconds.

    A scope an admin removed stops counting within ``ttl`` in tokens already issued with it, as in
    clients' registrations: ``still_granted`` is what a token's scope string is worth now.
    """

    def __init__(self, ttl: float) -> None:
        super().__init__(ttl, scope_names)

    def still_granted(self, scope: str, withheld: frozenset[str] = frozenset()) -> str:
        """``scope`` now (``policy.still_granted``); ``withheld``: its client's unapproved restricted scopes."""
        return policy.still_granted(scope, self.get(), withheld)
