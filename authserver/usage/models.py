"""The API calls the resource server metered, as it reported them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
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
    client_id: Mapped[str] = mapped_column(String(255), index=True)
    user_sub: Mapped[str | None] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128))
    tokens_in: Mapped[int] = mapped_column(default=0)
    tokens_out: Mapped[int] = mapped_column(default=0)
    requests: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    # The resource server's name for the record: a batch sent again because its answer was lost
    # (a timeout, a dropped connection) is stored once. Records from before it had one have none.
    record_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index(
            "ix_usage_records_record_id",
            "record_id",
            unique=True,
            sqlite_where=text("record_id IS NOT NULL"),
            postgresql_where=text("record_id IS NOT NULL"),
        ),
    )
