"""Adding and removing scopes (the admin's changes); lookups are in ``catalog``, decisions in ``policy``."""

from __future__ import annotations

from sqlalchemy import select

from authserver.audit.services import record
from authserver.clients.services import withdraw_scope_from_clients
from authserver.consent.services import forget_scope_in_consents
from authserver.errors import InvalidInput
from authserver.errors import NotFound
from authserver.extensions import db_session
from authserver.scopes.models import Scope
from authserver.scopes.policy import SCOPE_TOKEN
from authserver.tokens.revocations import announce_match


def add_scope(name: str, description: str, restricted: bool = False) -> Scope:
    if not SCOPE_TOKEN.fullmatch(name or ""):  # match() with $ would let a trailing newline in
        raise InvalidInput(f"invalid scope name {name!r}: use printable ASCII without spaces, quotes or backslashes")
    if len(name) > 128:
        raise InvalidInput("scope name is longer than 128 characters")
    description = (description or "").strip()
    if not description:
        raise InvalidInput("a scope needs a description: it is what people read on the consent page")
    if len(description) > 500:
        raise InvalidInput("scope description is longer than 500 characters")
    session = db_session()
    if session.scalar(select(Scope.id).where(Scope.name == name)) is not None:
        raise InvalidInput(f"scope {name!r} already exists")
    scope = Scope(name=name, description=description, restricted=restricted)
    session.add(scope)
    record("scope.added", scope=name, restricted=restricted)
    session.commit()
    return scope


def remove_scope(name: str) -> None:
    session = db_session()
    scope = session.scalar(select(Scope).where(Scope.name == name))
    if scope is None:
        raise NotFound(f"no scope named {name!r}")
    withdraw_scope_from_clients(name)
    # A scope added again later under the same name must be asked for again: what people agreed to
    # was the old one.
    forget_scope_in_consents(name)
    # Tokens already issued lose it (introspection's ``still_granted``); resource servers are told.
    announce_match("scope removed", scope=name)
    session.delete(scope)
    record("scope.removed", scope=name)
    session.commit()
