"""Which local account an upstream identity signs in to.

A user is found by (provider, upstream subject), never by email: an email address can be reused,
unverified, or typed by anyone at a lax provider. An email match with an existing account links
only after the person signs in to that account (see views.confirm_link).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from authserver.accounts.models import User
from authserver.accounts.services import find_user_by_email
from authserver.accounts.services import new_subject
from authserver.accounts.services import normalize_email
from authserver.audit.services import record
from authserver.db import utcnow
from authserver.errors import InvalidInput
from authserver.extensions import db_session
from authserver.federation._core import UpstreamUser
from authserver.federation.models import UpstreamIdentity
from authserver.federation.models import UpstreamProvider

SIGNED_IN = "signed_in"
CREATED = "created"
LINKED = "linked"
CONFIRM_LINK = "confirm_link"  # verified email of an existing account: prove control to link
EMAIL_TAKEN = "email_taken"  # unverified email of an existing account: no automatic path
NO_EMAIL = "no_email"
DISABLED = "disabled"
LINKED_ELSEWHERE = "linked_elsewhere"


@dataclass(frozen=True)
class Outcome:
    kind: str
    user: User | None = None


def find_identity(provider: UpstreamProvider, subject: str) -> UpstreamIdentity | None:
    return db_session().scalar(
        select(UpstreamIdentity).where(UpstreamIdentity.provider_id == provider.id, UpstreamIdentity.subject == subject)
    )


def _upstream_email(upstream: UpstreamUser) -> str | None:
    try:
        return normalize_email(upstream.email) if upstream.email else None
    except InvalidInput:
        return None


def sign_in(provider: UpstreamProvider, upstream: UpstreamUser) -> Outcome:
    """Resolve an upstream sign-in to a user, creating one (in one transaction) when it is new."""
    session = db_session()
    identity = find_identity(provider, upstream.subject)
    if identity is not None:
        user = session.get(User, identity.user_id)
        if user is None or user.disabled:
            return Outcome(DISABLED)  # the caller audits the refusal
        identity.last_login_at = user.last_login_at = utcnow()
        identity.email, identity.email_verified = upstream.email, upstream.email_verified
        record("login.succeeded", user_id=user.id, method="fed", provider=provider.name)
        session.commit()
        return Outcome(SIGNED_IN, user)
    email = _upstream_email(upstream)
    if email is None:
        return Outcome(NO_EMAIL)
    existing = find_user_by_email(email)
    if existing is not None:
        if upstream.email_verified and existing.password_hash and not existing.disabled:
            return Outcome(CONFIRM_LINK, existing)
        return Outcome(EMAIL_TAKEN, existing)
    user = User(sub=new_subject(), email=email, email_verified=upstream.email_verified, name=upstream.name)
    try:
        session.add(user)
        session.flush()
        _add_identity(user, provider, upstream)
        record("user.added", user_id=user.id, provider=provider.name)
        record("login.succeeded", user_id=user.id, method="fed", provider=provider.name)
        session.commit()
    except IntegrityError:
        # Someone took the email or the identity meanwhile: nothing of ours was kept; start over.
        session.rollback()
        return Outcome(EMAIL_TAKEN)
    return Outcome(CREATED, user)


def _add_identity(user: User, provider: UpstreamProvider, upstream: UpstreamUser) -> UpstreamIdentity:
    identity = UpstreamIdentity(
        user_id=user.id,
        provider_id=provider.id,
        subject=upstream.subject,
        email=upstream.email,
        email_verified=upstream.email_verified,
        last_login_at=utcnow(),
    )
    db_session().add(identity)
    db_session().flush()
    return identity


def link(user: User, provider: UpstreamProvider, upstream: UpstreamUser) -> Outcome:
    """Attach an upstream identity to a user who proved control of the account."""
    session = db_session()
    identity = find_identity(provider, upstream.subject)
    if identity is not None:
        return Outcome(LINKED if identity.user_id == user.id else LINKED_ELSEWHERE, user)
    try:
        _add_identity(user, provider, upstream)
        record("upstream.linked", user_id=user.id, provider=provider.name)
        session.commit()
    except IntegrityError:
        session.rollback()
        return Outcome(LINKED_ELSEWHERE, user)
    return Outcome(LINKED, user)


def identities_of(user: User) -> list[tuple[UpstreamIdentity, UpstreamProvider]]:
    rows = db_session().execute(
        select(UpstreamIdentity, UpstreamProvider)
        .join(UpstreamProvider, UpstreamProvider.id == UpstreamIdentity.provider_id)
        .where(UpstreamIdentity.user_id == user.id)
        .order_by(UpstreamIdentity.id)
    )
    return [(identity, provider) for identity, provider in rows]


def unlink(user: User, identity_id: int) -> None:
    """Remove one of the user's identities, unless it is their last way to sign in."""
    session = db_session()
    # Lock the user row so two concurrent unlinks cannot each see the other identity as a spare.
    locked = session.scalar(select(User).where(User.id == user.id).with_for_update())
    identity = session.get(UpstreamIdentity, identity_id)
    if locked is None or identity is None or identity.user_id != user.id:
        raise InvalidInput("That sign-in method is not linked to your account.")
    count = session.scalar(select(func.count()).where(UpstreamIdentity.user_id == user.id)) or 0
    if locked.password_hash is None and count <= 1:
        raise InvalidInput("This is your only way to sign in, so it cannot be removed.")
    session.execute(delete(UpstreamIdentity).where(UpstreamIdentity.id == identity_id))
    record("upstream.unlinked", user_id=user.id, identity_id=identity_id)
    session.commit()
