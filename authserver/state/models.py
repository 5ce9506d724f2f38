"""Short-lived counters and markers kept in the database when there is no Redis."""

from __future__ import annotations

from sqlalchemy import Float
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from authserver.db import Base

KEY_LENGTH = 255


class SecurityState(Base):
    """One counter or marker: failed sign-ins per address, an ended session, a used assertion jti.

    ``expires_at`` is seconds since the epoch (what the TTL arithmetic needs, compared in SQL with
    the caller's clock); an expired row counts as absent and is purged now and then.
    """

    __tablename__ = "security_state"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    value: Mapped[int]
    expires_at: Mapped[float] = mapped_column(Float, index=True)
