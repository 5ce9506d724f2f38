from __future__ import annotations

import re

from sqlalchemy import select

from authserver.audit.services import record
from authserver.clients.models import Client
from authserver.consent.models import Consent
from authserver.errors import InvalidInput
from authserver.errors import NotFound
from authserver.extensions import db_session
from authserver.scopes.models import Scope

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")


def parse_scope(value: str | None) -> list[str]:
    """Space-delimited scope string to an ordered list without duplicates."""
    return list(dict.fromkeys((value or "").split()))


def list_scopes() -> list[Scope]:
    return list(db_session().scalars(select(Scope).order_by(Scope.name)))


def scope_names() -> frozenset[str]:
    return frozenset(db_session().scalars(select(Scope.name)))


def scope_descriptions(names: list[str]) -> dict[str, str]:
    rows = db_session().scalars(select(Scope).where(Scope.name.in_(names)))
    return {row.name: row.description for row in rows}


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
    for client in session.scalars(select(Client)):
        if name in client.scopes:
            client.scopes = [s for s in client.scopes if s != name]
    # A scope added again later under the same name must be asked for again: what people agreed to
    # was the old one. The consent rows stay (they list the app, whose tokens can still be revoked).
    for consent in session.scalars(select(Consent).where(Consent.scope.contains(name, autoescape=True))):
        granted = parse_scope(consent.scope)
        if name in granted:
            consent.scope = " ".join(s for s in granted if s != name)
    session.delete(scope)
    record("scope.removed", scope=name)
    session.commit()


def require_known_scopes(names: list[str]) -> None:
    known = set(db_session().scalars(select(Scope.name).where(Scope.name.in_(names))))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidInput(f"unknown scope {unknown[0]!r}: add it with `scopes add` first")


def default_client_scopes() -> list[str]:
    """What a client may ask for when its registration names no scopes: every unrestricted scope."""
    return list(db_session().scalars(select(Scope.name).where(Scope.restricted.is_(False)).order_by(Scope.name)))
