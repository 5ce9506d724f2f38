from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from authserver.db import Base
from authserver.db import utcnow


class Scope(Base):
    __tablename__ = "scopes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(String(500))
    # A restricted scope is granted only to clients an admin allowed it for explicitly.
    restricted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScopeApproval(Base):
    """An admin's approval of one restricted scope for one client (``clients approve-scope``).

    A client may list a restricted scope among those it asks for; it is granted only with a row here.
    """

    __tablename__ = "scope_approvals"
    __table_args__ = (UniqueConstraint("client_id", "scope_id", name="uq_scope_approvals_client_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    scope_id: Mapped[int] = mapped_column(ForeignKey("scopes.id", ondelete="CASCADE"), index=True)
    approved_at: Mapped[datetime] = mapped_column(default=utcnow)
