from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from authserver.audit.services import record
from authserver.clients.models import Client
from authserver.consent.models import Consent
from authserver.extensions import db_session
from authserver.scopes.catalog import scope_descriptions
from authserver.scopes.policy import parse_scope
from authserver.tokens.services import revoke_user_grants


@dataclass(frozen=True)
class ConnectedApp:
    client: Client
    scopes: list[tuple[str, str]]
    granted_at: datetime


def find_consent(user_id: int, client_pk: int) -> Consent | None:
    return db_session().scalar(select(Consent).where(Consent.user_id == user_id, Consent.client_id == client_pk))


def covers(user_id: int, client_pk: int, scope: str) -> bool:
    """True when the user already granted this client every scope asked for now."""
    consent = find_consent(user_id, client_pk)
    return consent is not None and set(parse_scope(scope)) <= set(parse_scope(consent.scope))


def grant(user_id: int, client_pk: int, scope: str) -> Consent:
    """Remember the scopes granted, adding to what was granted before."""
    try:
        return _remember(user_id, client_pk, scope)
    except IntegrityError:
        # Two first-time Allows at once (two tabs): the other created the row between our read and
        # our insert. It is there now to add to.
        db_session().rollback()
        return _remember(user_id, client_pk, scope)


def _remember(user_id: int, client_pk: int, scope: str) -> Consent:
    consent = find_consent(user_id, client_pk)
    if consent is None:
        consent = Consent(user_id=user_id, client_id=client_pk, scope=" ".join(parse_scope(scope)))
        db_session().add(consent)
    else:
        consent.scope = " ".join(dict.fromkeys(parse_scope(consent.scope) + parse_scope(scope)))
    record("consent.granted", user_id=user_id, client_pk=client_pk, scope=scope)
    db_session().commit()
    return consent


def forget_scope_in_consents(name: str) -> None:
    """Take a removed scope out of every remembered consent; the rows stay (they list the app, whose
    tokens can still be revoked). The caller commits."""
    for consent in db_session().scalars(select(Consent).where(Consent.scope.contains(name, autoescape=True))):
        granted = parse_scope(consent.scope)
        if name in granted:
            consent.scope = " ".join(s for s in granted if s != name)


def describe_scopes(scope: str) -> list[tuple[str, str]]:
    """(name, description) for each scope, in the order asked; a scope since removed shows its name."""
    names = parse_scope(scope)
    descriptions = scope_descriptions(names)
    return [(name, descriptions.get(name, name)) for name in names]


def connected_apps(user_id: int) -> list[ConnectedApp]:
    rows = db_session().execute(
        select(Consent, Client)
        .join(Client, Client.id == Consent.client_id)
        .where(Consent.user_id == user_id)
        .order_by(Consent.granted_at.desc(), Consent.id.desc())
    )
    return [ConnectedApp(client, describe_scopes(consent.scope), consent.granted_at) for consent, client in rows]


def revoke(user_id: int, client: Client) -> bool:
    """Forget the consent and revoke every token the client holds for this user, in one transaction.

    Codes not yet exchanged go too (``revoke_user_grants``). Returns False when there was nothing to revoke.
    """
    session = db_session()
    forgotten = session.execute(
        delete(Consent).where(Consent.user_id == user_id, Consent.client_id == client.id)
    ).rowcount
    revoked = revoke_user_grants(user_id, client.id)
    if not forgotten and not revoked:
        session.rollback()
        return False
    record("consent.revoked", user_id=user_id, client_id=client.client_id, tokens_revoked=revoked)
    session.commit()
    return True
