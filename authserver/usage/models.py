"""The API calls the resource server metered, as it reported them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy import text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from authserver.db import Base
from authserver.db import utcnow


class UsageRecord(Base):
    """Calls of one client (and user) to one endpoint and model, reported together over HTTP: a
    resource server sums the calls of each flush interval, so a busy one sends a row a second, not
    a row a call. ``at`` is when the first of them was made."""

    __tablename__ = "usage_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    user_sub: Mapped[str | None] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128))
    tokens_in: Mapped[int] = mapped_column(default=0)
    tokens_out: Mapped[int] = mapped_column(default=0)
    requests: Mapped[int] = mapped_column(default=1, server_default=text("1"))
