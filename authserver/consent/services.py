from __future__ import annotations

from sqlalchemy import select

from authserver.audit.services import record
from authserver.consent.models import Consent
from authserver.extensions import db_session
from authserver.scopes.services import parse_scope


def find_consent(user_id: int, client_pk: int) -> Consent | None:
    return db_session().scalar(select(Consent).where(Consent.user_id == user_id, Consent.client_id == client_pk))


def covers(user_id: int, client_pk: int, scope: str) -> bool:
    """True when the user already granted this client every scope asked for now."""
    consent = find_consent(user_id, client_pk)
    return consent is not None and set(parse_scope(scope)) <= set(parse_scope(consent.scope))


def grant(user_id: int, client_pk: int, scope: str) -> Consent:
    """Remember the scopes granted, adding to what was granted before."""
    consent = find_consent(user_id, client_pk)
    if consent is None:
        consent = Consent(user_id=user_id, client_id=client_pk, scope=" ".join(parse_scope(scope)))
        db_session().add(consent)
    else:
        consent.scope = " ".join(dict.fromkeys(parse_scope(consent.scope) + parse_scope(scope)))
    record("consent.granted", user_id=user_id, client_pk=client_pk, scope=scope)
    db_session().commit()
    return consent
