"""Authorization codes: short-lived, single-use, bound to client, redirect URI and PKCE challenge."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy import update

from authserver.accounts.models import User
from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.extensions import get_config
from authserver.tokens.models import AuthorizationCode
from shared.security import digest

# RFC 9700 §4.2.1 wants codes short-lived; whatever the configuration says, never past a minute.
MAX_CODE_TTL = 60


def create_code(
    code: str,
    *,
    client_pk: int,
    user_id: int,
    redirect_uri: str,
    scope: str,
    audience: str | None = None,
    nonce: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
    auth_time: datetime,
    dpop_jkt: str | None = None,
    amr: str | None = None,
) -> None:
    now = utcnow()
    ttl = min(get_config().authorization_code_ttl, MAX_CODE_TTL)
    session = db_session()
    session.add(
        AuthorizationCode(
            code_digest=digest(code),
            client_id=client_pk,
            user_id=user_id,
            redirect_uri=redirect_uri,
            scope=scope,
            audience=audience,
            nonce=nonce,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            dpop_jkt=dpop_jkt,
            auth_time=auth_time,
            amr=amr,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    session.commit()


def find_code(code: str) -> tuple[AuthorizationCode, User] | None:
    """The code, used or not (a used one is evidence of replay), whichever client it was issued to."""
    if not code:
        return None
    found = (
        db_session()
        .execute(
            select(AuthorizationCode, User)
            .join(User, User.id == AuthorizationCode.user_id)
            .where(AuthorizationCode.code_digest == digest(code))
        )
        .first()
    )
    return (found[0], found[1]) if found else None


def consume_code(code_id: int) -> bool:
    """Mark the code used; True for exactly one caller however many race (RFC 6749 §4.1.2).

    The caller commits, together with the token it issues, so the winner's token exists by the
    time a loser looks for tokens to revoke.
    """
    result = db_session().execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.id == code_id, AuthorizationCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return result.rowcount == 1


def nonce_was_used(client_pk: int, nonce: str) -> bool:
    return (
        db_session().scalar(
            select(AuthorizationCode.id)
            .where(AuthorizationCode.client_id == client_pk, AuthorizationCode.nonce == nonce)
            .limit(1)
        )
        is not None
    )
