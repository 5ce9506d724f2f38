from __future__ import annotations

import re

from sqlalchemy import select

from authserver.accounts.models import User
from authserver.accounts.passwords import MIN_LENGTH
from authserver.accounts.passwords import hash_password
from authserver.accounts.passwords import needs_rehash
from authserver.accounts.passwords import verify_password
from authserver.audit.services import record
from authserver.db import utcnow
from authserver.errors import InvalidInput
from authserver.errors import NotFound
from authserver.extensions import db_session
from authserver.tokens.revocations import announce_match
from shared.security import new_identifier

# No control characters either: a NUL byte cannot even be looked up on PostgreSQL.
EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s.\x00-\x1f\x7f]+$")


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL.match(email) or len(email) > 320:
        raise InvalidInput(f"invalid email address {email!r}")
    return email


def check_password_policy(password: str) -> None:
    if not password:
        raise InvalidInput("the password is empty")
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"the password must have at least {MIN_LENGTH} characters")


def new_subject() -> str:
    return new_identifier(16)


def add_user(email: str, password: str | None, *, email_verified: bool = False, name: str | None = None) -> User:
    email = normalize_email(email)
    if password is not None:
        check_password_policy(password)
    session = db_session()
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise InvalidInput(f"a user with email {email!r} already exists")
    user = User(
        sub=new_subject(),
        email=email,
        email_verified=email_verified,
        name=name,
        password_hash=hash_password(password) if password is not None else None,
    )
    session.add(user)
    session.flush()
    record("user.added", user_id=user.id)
    session.commit()
    return user


def list_users() -> list[User]:
    return list(db_session().scalars(select(User).order_by(User.id)))


def find_user_by_email(email: str) -> User | None:
    try:
        email = normalize_email(email)
    except InvalidInput:
        return None
    return db_session().scalar(select(User).where(User.email == email))


def authenticate(email: str, password: str) -> User | None:
    """The enabled user with this email and password, or None; audited either way.

    Unknown emails and password-less (upstream-only) accounts still pay for one argon2 verification,
    and disabled accounts are refused only after it, so timing tells nothing about which accounts
    exist. A hash made with older parameters is replaced while the plaintext is at hand.
    """
    user = find_user_by_email(email)
    if not verify_password(user.password_hash if user else None, password):
        record("login.failed", user_id=user.id if user else None, reason="bad_credentials")
        db_session().commit()
        return None
    if user.disabled:
        record("login.failed", user_id=user.id, reason="disabled")
        db_session().commit()
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        record("user.password_rehashed", user_id=user.id)
    user.last_login_at = utcnow()
    record("login.succeeded", user_id=user.id, method="pwd")
    db_session().commit()
    return user


def disable_user(email: str) -> User:
    user = find_user_by_email(email)
    if user is None:
        raise NotFound(f"no user with email {email!r}")
    user.disabled = True
    # Its tokens introspect inactive from now on; resource servers that cached one are told.
    announce_match("user disabled", sub=user.sub)
    record("user.disabled", user_id=user.id)
    db_session().commit()
    return user


def user_as_dict(user: User) -> dict:
    return {
        "id": user.id,
        "sub": user.sub,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
        "disabled": user.disabled,
        "created_at": user.created_at.isoformat(),
    }
