from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from authserver.clients.models import Client
from authserver.db import Base
from authserver.db import utcnow


class InitialAccessToken(Base):
    """An admin's permission to register clients over RFC 7591 (§3: the initial access token)."""

    __tablename__ = "initial_access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of a 256-bit server-generated value, shown once by `registration-token create`.
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None]
    # None: any number of registrations until it expires.
    max_uses: Mapped[int | None]
    uses: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClientRegistration(Base):
    """What a client that registered itself holds to manage its registration (RFC 7592 §1.1)."""

    __tablename__ = "client_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), unique=True)
    client: Mapped[Client] = relationship(lazy="joined")
    # SHA-256 of the current registration access token; each update replaces it (RFC 7592 §2.2).
    access_token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    # None for a client that registered openly (initial access tokens are never deleted): its
    # updates are held to open registration's rules.
    initial_access_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("initial_access_tokens.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None]
