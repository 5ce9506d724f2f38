from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import false
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from authserver.accounts.models import User
from authserver.db import Base
from authserver.db import utcnow

# How a client came to exist: an admin at the CLI, a developer in the portal, RFC 7591 dynamic
# registration, or a client ID metadata document fetched by URL.
REGISTERED_VIA = ("cli", "portal", "dcr", "cimd")


class Client(Base):
    """A registered app. The metadata columns carry RFC 7591 §2 names (``client_uri``, ``logo_uri``…)."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Issued ids are 24 characters; a client named by its metadata document has its URL as id.
    client_id: Mapped[str] = mapped_column(String(255), unique=True)
    # SHA-256 of a 256-bit server-generated secret; None for public clients.
    client_secret_digest: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    # The developer who registered it in the portal; None for the CLI's, RFC 7591's and CIMD's clients.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    owner: Mapped[User | None] = relationship()
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    grant_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    response_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32))
    jwks: Mapped[dict | None] = mapped_column(JSON)
    is_resource_server: Mapped[bool] = mapped_column(default=False)
    # RFC 9126 §5/§6: its authorization requests must come through the PAR endpoint.
    require_pushed_authorization_requests: Mapped[bool] = mapped_column(default=False, server_default=false())
    # RFC 9449 §5.2: every token request must carry a DPoP proof (its tokens are always key-bound).
    dpop_bound_access_tokens: Mapped[bool] = mapped_column(default=False, server_default=false())
    # "opaque" (a random value, introspected) or "jwt" (an RFC 9068 JWT a resource server can validate
    # itself); see clients.metadata.ACCESS_TOKEN_FORMATS.
    access_token_format: Mapped[str] = mapped_column(String(8), default="opaque", server_default="opaque")
    # RFC 8707: the resource identifier a token's ``resource`` and ``aud`` name for this resource server.
    resource_url: Mapped[str | None] = mapped_column(String(500))
    client_uri: Mapped[str | None] = mapped_column(String(500))
    policy_uri: Mapped[str | None] = mapped_column(String(500))
    tos_uri: Mapped[str | None] = mapped_column(String(500))
    logo_uri: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(String(1000))
    contacts: Mapped[list[str]] = mapped_column(JSON, default=list)
    registered_via: Mapped[str] = mapped_column(String(8), default="cli", server_default="cli")
    # The portal's kind of app (web, native, spa, service), which set its grant types and auth method.
    app_type: Mapped[str | None] = mapped_column(String(8))
    # Per-client overrides of the resource server's limits; None means the default.
    rate_limit_per_minute: Mapped[int | None]
    tokens_per_day: Mapped[int | None]
    # "required" (every client unless an admin opts a legacy confidential client out) or "optional".
    pkce: Mapped[str] = mapped_column(String(16), default="required", server_default="required")
    disabled: Mapped[bool] = mapped_column(default=False)
    # Deleted by its developer: disabled for good and gone from the portal, kept for the audit trail.
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    secret_rotated_at: Mapped[datetime | None]
    # The secret a rotation replaced, still accepted until the grace period the developer chose ends.
    previous_secret_digest: Mapped[str | None] = mapped_column(String(64))
    previous_secret_expires_at: Mapped[datetime | None]
