"""One row per API call the resource server metered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from authserver.db import Base
from authserver.db import utcnow


class UsageRecord(Base):
    """What the resource server metered: one row per API call, reported over HTTP."""

    __tablename__ = "usage_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    user_sub: Mapped[str | None] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128))
    tokens_in: Mapped[int] = mapped_column(default=0)
    tokens_out: Mapped[int] = mapped_column(default=0)
