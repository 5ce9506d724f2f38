"""Device authorization requests (RFC 8628): issue, look up, decide, poll, consume, throttle entry.

The device code is a 256-bit credential held by the device; the user code is what a person types,
so it is short and case-insensitive, in an alphabet with no vowels (no words) and no characters
that look alike (RFC 8628 §6.1). Both are stored as SHA-256 digests only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from authserver.accounts.models import User
from authserver.audit.services import record
from authserver.clients.models import Client
from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.state.services import security_store
from authserver.tokens.models import DeviceAuthorization
from shared.security import digest

# RFC 8628 §6.1: 20 consonants, 8 characters: 20^8 ≈ 2^34.5 codes.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
# RFC 8628 §3.5: "slow_down" adds 5 seconds to the interval, for that and every later poll.
SLOW_DOWN_STEP = 5

PENDING = "pending"
APPROVED = "approved"
DENIED = "denied"

# Code entry is throttled like password guessing (RFC 8628 §5.1): failures counted per address,
# and in total across all addresses (in the security state: Redis, else the database), so that neither one machine nor a botnet can try enough of
# the 2^34.5 codes to find one of the few live at any moment.
ENTRY_WINDOW_SECONDS = 15 * 60
MAX_FAILED_ENTRIES_PER_ADDRESS = 10
MAX_FAILED_ENTRIES_OVERALL = 1000


def new_user_code() -> str:
    half = USER_CODE_LENGTH // 2
    letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    return f"{letters[:half]}-{letters[half:]}"


def normalize_user_code(typed: str | None) -> str | None:
    """The code as issued (``BDFG-HJKL``) from what a person typed: any case, with or without the
    dash, spaces anywhere (§6.1); None when it cannot be a code we issued."""
    letters = "".join(ch for ch in (typed or "")[:64] if ch not in " -\t").upper()
    if len(letters) != USER_CODE_LENGTH or any(ch not in USER_CODE_ALPHABET for ch in letters):
        return None
    half = USER_CODE_LENGTH // 2
    return f"{letters[:half]}-{letters[half:]}"


def create(
    *,
    device_code: str,
    user_code: str,
    client_pk: int,
    scope: str,
    audience: str | None = None,
    expires_in: int,
    interval: int,
) -> str:
    """Store a new request; returns its user code, a fresh one if ``user_code`` was taken."""
    session = db_session()
    now = utcnow()
    for _attempt in range(3):
        session.add(
            DeviceAuthorization(
                device_code_digest=digest(device_code),
                user_code_digest=digest(user_code),
                client_id=client_pk,
                scope=scope,
                audience=audience,
                status=PENDING,
                created_at=now,
                expires_at=now + timedelta(seconds=expires_in),
                interval=interval,
            )
        )
        try:
            session.commit()
            return user_code
        except IntegrityError:
            # Another request (live or expired, not yet purged) holds this user code.
            session.rollback()
            user_code = new_user_code()
    raise RuntimeError("no free user code after three attempts")


@dataclass(frozen=True)
class PendingRequest:
    """A request waiting for a person's decision, with its client's public id."""

    id: int
    client_id: str
    scope: str


def find_pending(user_code: str | None) -> PendingRequest | None:
    """The live, undecided request with this user code (as typed), or None."""
    code = normalize_user_code(user_code)
    if code is None:
        return None
    return _pending(DeviceAuthorization.user_code_digest == digest(code))


def get_pending(request_id: int) -> PendingRequest | None:
    return _pending(DeviceAuthorization.id == request_id)


def _pending(condition) -> PendingRequest | None:
    found = (
        db_session()
        .execute(
            select(DeviceAuthorization.id, Client.client_id, DeviceAuthorization.scope)
            .join(Client, Client.id == DeviceAuthorization.client_id)
            .where(condition, DeviceAuthorization.status == PENDING, DeviceAuthorization.expires_at > utcnow())
        )
        .first()
    )
    return PendingRequest(*found) if found else None


def decide(pending: PendingRequest, user_id: int, approved: bool, auth_time: datetime, amr: str | None = None) -> bool:
    """Record the person's answer, and how they signed in (``accounts.methods``); True for exactly
    one decision on a live request."""
    session = db_session()
    now = utcnow()
    result = session.execute(
        update(DeviceAuthorization)
        .where(
            DeviceAuthorization.id == pending.id,
            DeviceAuthorization.status == PENDING,
            DeviceAuthorization.expires_at > now,
        )
        .values(status=APPROVED if approved else DENIED, user_id=user_id, auth_time=auth_time, amr=amr, decided_at=now)
    )
    if result.rowcount != 1:
        session.rollback()
        return False
    record("device.approved" if approved else "device.denied", user_id=user_id, client_id=pending.client_id)
    session.commit()
    return True


def find_for_client(device_code: str, client_pk: int) -> tuple[DeviceAuthorization, User | None] | None:
    """The request this client started with ``device_code``, and who decided it (if anyone)."""
    found = (
        db_session()
        .execute(
            select(DeviceAuthorization, User)
            .outerjoin(User, User.id == DeviceAuthorization.user_id)
            .where(
                DeviceAuthorization.device_code_digest == digest(device_code),
                DeviceAuthorization.client_id == client_pk,
            )
        )
        .first()
    )
    return (found[0], found[1]) if found else None


def record_poll(row: DeviceAuthorization) -> bool:
    """Note a poll of a pending request; True when it came sooner than the interval allows,
    which then grows by ``SLOW_DOWN_STEP`` (RFC 8628 §3.5)."""
    now = utcnow()
    too_soon = row.last_polled_at is not None and now - row.last_polled_at < timedelta(seconds=row.interval)
    if too_soon:
        row.interval += SLOW_DOWN_STEP
    row.last_polled_at = now
    db_session().commit()
    return too_soon


def consume(request_id: int) -> bool:
    """Mark an approved request used; True for exactly one caller however many race.

    The caller commits, together with the tokens it issues.
    """
    result = db_session().execute(
        update(DeviceAuthorization)
        .where(
            DeviceAuthorization.id == request_id,
            DeviceAuthorization.status == APPROVED,
            DeviceAuthorization.consumed_at.is_(None),
        )
        .values(consumed_at=utcnow())
    )
    return result.rowcount == 1


def _entry_counters():
    # Like the sign-in throttle: shared by every process, and not throttling while its store is down.
    return security_store("device-code-entries", fail_open=True)


def entry_refused(ip: str | None) -> bool:
    """Whether code entry from this address is refused unchecked (too many recent failures)."""
    cache = _entry_counters()
    if int(cache.get(f"ip:{ip or '-'}") or 0) >= MAX_FAILED_ENTRIES_PER_ADDRESS:
        return True
    return int(cache.get("all") or 0) >= MAX_FAILED_ENTRIES_OVERALL


def count_failed_entry(ip: str | None) -> None:
    cache = _entry_counters()
    cache.incr(f"ip:{ip or '-'}", 1, ENTRY_WINDOW_SECONDS)
    if cache.incr("all", 1, ENTRY_WINDOW_SECONDS) == MAX_FAILED_ENTRIES_OVERALL:
        record("device.entry_throttled", failures=MAX_FAILED_ENTRIES_OVERALL)
        db_session().commit()
