"""What token exchange (RFC 8693, ``oauth2.exchange``) reads and writes of a subject token's lineage.

An exchanged token joins its subject token's family, so everything that revokes a family (refresh
token revocation, reuse detection, code replay) or the tokens behind a consent (``revoke_user_grants``)
reaches it too. A family's tokens that were not exchanged all belong to the client the person
authorized: the original client, whose consent bounds what any exchange in the family may grant.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy import update

from authserver.consent.models import Consent
from authserver.extensions import db_session
from authserver.tokens.models import Token
from shared.security import new_identifier


def consented_scope(user_id: int, token_id: int, family_id: str | None) -> str | None:
    """The scope the person consented to for the client a token's family began with, or None when
    they have no consent for it (any more). One query, the original client found through the family."""
    lineage = Token.family_id == family_id if family_id is not None else Token.id == token_id
    return db_session().scalar(
        select(Consent.scope)
        .join(Token, (Token.client_id == Consent.client_id) & (Token.user_id == Consent.user_id))
        .where(Consent.user_id == user_id, lineage, Token.act.is_(None))
        .limit(1)
    )


def family_for_exchange(token_id: int, family_id: str | None) -> str:
    """The family a token exchanged from this one joins. A person's token issued without one (a device
    flow without refresh tokens) starts one now, in the caller's transaction; a concurrent exchange
    that started another first wins, and its family is the answer."""
    if family_id is not None:
        return family_id
    session = db_session()
    session.execute(
        update(Token).where(Token.id == token_id, Token.family_id.is_(None)).values(family_id=new_identifier())
    )
    return session.scalar(select(Token.family_id).where(Token.id == token_id))
