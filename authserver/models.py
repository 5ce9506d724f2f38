"""Every table, imported in one place for Alembic and for code that needs several."""

from authserver.accounts.models import User
from authserver.audit.models import AuditEvent
from authserver.clients.models import Client
from authserver.consent.models import Consent
from authserver.db import Base
from authserver.federation.models import UpstreamIdentity
from authserver.federation.models import UpstreamProvider
from authserver.registration.models import ClientRegistration
from authserver.registration.models import InitialAccessToken
from authserver.scopes.models import Scope
from authserver.scopes.models import ScopeApproval
from authserver.state.models import SecurityState
from authserver.tokens.models import AuthorizationCode
from authserver.tokens.models import DeviceAuthorization
from authserver.tokens.models import SigningKey
from authserver.tokens.models import Token
from authserver.usage.models import UsageRecord

__all__ = [
    "AuditEvent",
    "AuthorizationCode",
    "Base",
    "Client",
    "ClientRegistration",
    "Consent",
    "DeviceAuthorization",
    "InitialAccessToken",
    "Scope",
    "ScopeApproval",
    "SecurityState",
    "SigningKey",
    "Token",
    "UpstreamIdentity",
    "UpstreamProvider",
    "UsageRecord",
    "User",
]
