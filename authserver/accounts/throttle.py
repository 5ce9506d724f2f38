"""A cheap brake on password guessing: failed sign-ins counted per address and per account.

Counters live in the shared security state (Redis when REDIS_URL is set, else the database), so
every process sees the same count; while that store is down, attempts are not throttled (logged). Counting per account as well as per address stops a botnet spreading guesses over many
addresses from trying more than a handful against one person.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from authserver.accounts.models import User
from authserver.accounts.services import authenticate
from authserver.audit.services import record
from authserver.extensions import db_session
from authserver.state.services import security_store

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_ADDRESS = 50
MAX_FAILURES_PER_ACCOUNT = 10


def _cache():
    return security_store("login-failures", fail_open=True)


def _account_key(email: str) -> str:
    # Hashed so that typed emails (sometimes a password pasted in the wrong box) never sit in Redis.
    return "acct:" + hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def _keys(ip: str | None, email: str) -> tuple[tuple[str, int], tuple[str, int]]:
    return (f"ip:{ip or '-'}", MAX_FAILURES_PER_ADDRESS), (_account_key(email), MAX_FAILURES_PER_ACCOUNT)


def is_blocked(ip: str | None, email: str) -> bool:
    cache = _cache()
    return any(int(cache.get(key) or 0) >= limit for key, limit in _keys(ip, email))


THROTTLED = "Too many failed attempts. Wait a few minutes and try again."


@dataclass(frozen=True)
class PasswordAttempt:
    user: User | None
    throttled: bool = False


def attempt_password(ip: str | None, email: str, password: str | None, user_id: int | None = None) -> PasswordAttempt:
    """The one password step of every form that takes a password (sign-in, linking an upstream identity).

    Refused unchecked while the address or the account has too many recent failures; otherwise a
    failure counts against both and a success clears the account's count. ``password`` None: the
    form itself was invalid, a failure. ``user_id``: the password must prove that very account.
    """
    if refused(ip, email):
        return PasswordAttempt(None, throttled=True)
    user = authenticate(email, password) if password is not None else None
    if user is None or (user_id is not None and user.id != user_id):
        count_failure(ip, email)
        return PasswordAttempt(None)
    clear(email)
    return PasswordAttempt(user)


def refused(ip: str | None, email: str) -> bool:
    """Whether a password attempt is refused unchecked; a refusal is audited (every password form)."""
    if not is_blocked(ip, email):
        return False
    record("login.throttled")
    db_session().commit()
    return True


def count_failure(ip: str | None, email: str) -> None:
    cache = _cache()
    for key, _limit in _keys(ip, email):
        cache.incr(key, 1, WINDOW_SECONDS)


def clear(email: str) -> None:
    """Forget the account's failures after its owner signed in.

    The address's count stays: otherwise anyone holding one account could reset it, between guesses
    at other people's passwords, by signing in to their own.
    """
    _cache().delete(_account_key(email))
