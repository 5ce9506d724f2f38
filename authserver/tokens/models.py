from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from authserver.db import Base
from authserver.db import utcnow


class AuthorizationCode(Base):
    __tablename__ = "authorization_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    # RFC 8707: the resources authorized, space-separated; None authorizes no particular one.
    audience: Mapped[str | None] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(Text)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(8))
    # RFC 9449 §10: the thumbprint of the DPoP key the code may be exchanged with (``dpop_jkt``).
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))
    auth_time: Mapped[datetime]
    # How the person signed in (RFC 8176 values, space-separated; accounts.methods): the id_token's ``amr``.
    amr: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Set once, atomically, when the code is exchanged; a second exchange finds it set.
    used_at: Mapped[datetime | None]


class DeviceAuthorization(Base):
    """One device authorization request (RFC 8628 §3.1): pending until a person decides, then used once."""

    __tablename__ = "device_authorizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(Text)
    # RFC 8707: the resource servers the tokens will be for, space-separated; None names none.
    audience: Mapped[str | None] = mapped_column(Text)
    # pending → approved or denied, by the person at the verification page.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    auth_time: Mapped[datetime | None]
    # How the person who decided signed in at the verification page (as ``AuthorizationCode.amr``).
    amr: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Seconds the device must wait between polls; grows by 5 each time it polls faster (§3.5).
    interval: Mapped[int]
    last_polled_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    # Set once, atomically, when the approved request is exchanged for tokens.
    consumed_at: Mapped[datetime | None]


INDEXED_WHERE_SET = ("refresh_token_digest", "family_id", "user_id", "authorization_code_id")
UNIQUE_WHERE_SET = frozenset({"refresh_token_digest"})


class Token(Base):
    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    access_token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_digest: Mapped[str | None] = mapped_column(String(64))
    # Every token minted from one authorization (the code exchange and each refresh after it)
    # shares a family; presenting a rotated refresh token revokes the whole family. A
    # client-credentials token stands alone: no family.
    family_id: Mapped[str | None] = mapped_column(String(64))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    authorization_code_id: Mapped[int | None] = mapped_column(ForeignKey("authorization_codes.id", ondelete="SET NULL"))
    scope: Mapped[str] = mapped_column(Text)
    # RFC 8707: the resource servers the token is for, space-separated; None: no audience, every
    # resource server of ours accepts it.
    audience: Mapped[str | None] = mapped_column(Text)
    # RFC 9449 §6: the JWK SHA-256 thumbprint (RFC 7638) of the DPoP key the tokens are bound to
    # (``cnf.jkt``); None for bearer tokens.
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    access_expires_at: Mapped[datetime] = mapped_column(index=True)
    refresh_expires_at: Mapped[datetime | None]
    auth_time: Mapped[datetime | None]
    # How the person signed in for the authorization this token descends from (accounts.methods).
    amr: Mapped[str | None] = mapped_column(Text)
    # RFC 8693 §4.1: who acts for the token's subject, for a token issued by token exchange: its
    # ``act`` claim, nested for a chain of exchanges. None for every other token.
    act: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    # Set when this row's refresh token was exchanged for the next one in its family.
    refresh_rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    __table_args__ = (
        # Client-credentials tokens, most tokens at scale, have none of these: indexing only the tokens
        # that do spares each client-credentials INSERT four of its seven index updates (a third of
        # its cost on SQLite). Lookups compare the column with a value, which implies IS NOT NULL.
        *(
            Index(
                f"ix_tokens_{name}",
                name,
                unique=name in UNIQUE_WHERE_SET,
                sqlite_where=text(f"{name} IS NOT NULL"),
                postgresql_where=text(f"{name} IS NOT NULL"),
            )
            for name in INDEXED_WHERE_SET
        ),
    )


class SigningKey(Base):
    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(16))
    # The private JWK, sealed with the server's secret key.
    private_jwk_sealed: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Retired keys sign nothing new but stay published until what they signed has expired.
    retired_at: Mapped[datetime | None]
    publish_until: Mapped[datetime | None]


class PushedAuthorizationRequest(Base):
    """An authorization request a client pushed (RFC 9126 §2), waiting for its ``request_uri``.

    Only the digest of the ``request_uri`` is stored. It is good for ``expires_at``; the first visit
    to the authorization endpoint opens it for the person's sign-in and consent, and the authorization
    response (code or denial) uses it up, once.
    """

    __tablename__ = "pushed_authorization_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_uri_digest: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    # The authorization request's parameters as pushed: a JSON list of [name, value] pairs.
    parameters: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
    # The SHA-256 digest of the browser binding cookie of the browser that opened it first: no other
    # browser may carry it on (authserver.oauth2.par).
    browser_digest: Mapped[str | None] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class RevocationEvent(Base):
    """One revocation, as resource servers learn of it (``authserver.tokens.revocations``).

    Ids only grow (SQLite AUTOINCREMENT never reuses one; a PostgreSQL sequence never does) and are
    committed in order, so a resource server that read up to an id has seen every event before it.
    ``expires_at``: when no token the event covers can be alive any more; the purge drops it then.
    """

    __tablename__ = "revocation_events"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # What the resource servers receive, less the id: {"tokens": [{"digest", "exp"}]} or
    # {"match": {...}, "issued_before", "until"}, and the reason.
    payload: Mapped[dict] = mapped_column(JSON)
