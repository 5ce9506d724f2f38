"""Who may register a client (RFC 7591 §3 initial access tokens, open registration) and the
registration access tokens that manage one afterwards (RFC 7592)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from authserver.audit.services import record
from authserver.clients import services as clients
from authserver.clients.metadata import ClientMetadata
from authserver.clients.models import Client
from authserver.db import utcnow
from authserver.errors import InvalidInput
from authserver.extensions import db_session
from authserver.extensions import get_config
from authserver.registration.models import ClientRegistration
from authserver.registration.models import InitialAccessToken
from authserver.state.services import security_store
from shared.security import digest
from shared.security import new_credential

OPEN_REGISTRATION_WINDOW = 3600
MAX_TOKEN_LIFETIME = 10 * 365 * 24 * 3600


class RegistrationRefused(Exception):
    """The request may not register a client; ``reason`` says why, in RFC 6750 terms."""

    def __init__(self, description: str, *, throttled: bool = False):
        super().__init__(description)
        self.description = description
        self.throttled = throttled


@dataclass(frozen=True)
class Permit:
    """Leave to register one client: an initial access token's, or open registration's (None)."""

    initial_access_token_id: int | None

    @property
    def public_only(self) -> bool:
        return self.initial_access_token_id is None


@dataclass(frozen=True)
class SelfRegistration:
    """A client that registered itself, with the credentials shown to it this once."""

    client: Client
    client_secret: str | None
    registration_access_token: str | None


def create_initial_access_token(
    expires_in: int | None = None, max_uses: int | None = None
) -> tuple[InitialAccessToken, str]:
    if expires_in is not None and not 0 < expires_in <= MAX_TOKEN_LIFETIME:
        raise InvalidInput(f"--expires-in must be between 1 and {MAX_TOKEN_LIFETIME} seconds")
    if max_uses is not None and not 0 < max_uses < 2**31:
        raise InvalidInput("--max-uses must be a positive number")
    token = new_credential()
    row = InitialAccessToken(
        token_digest=digest(token),
        expires_at=utcnow() + timedelta(seconds=expires_in) if expires_in else None,
        max_uses=max_uses,
    )
    session = db_session()
    session.add(row)
    session.flush()
    record("registration_token.created", token_id=row.id, expires_in=expires_in, max_uses=max_uses)
    session.commit()
    return row, token


def permit(bearer: str | None, ip: str | None) -> Permit:
    """RFC 7591 §3: an initial access token, if presented, must be valid; without one, only open
    registration (``AUTHSERVER_OPEN_REGISTRATION``) lets a request through, a few per address."""
    if bearer is not None:
        row = _usable_token(bearer)
        return Permit(initial_access_token_id=row.id)
    config = get_config()
    if not config.open_registration:
        raise RegistrationRefused("An initial access token is required to register a client.")
    count = security_store("open-registration", fail_open=True).incr(f"ip:{ip or '-'}", 1, OPEN_REGISTRATION_WINDOW)
    if count > config.open_registrations_per_hour:
        raise RegistrationRefused("Too many registrations from this address; try again later.", throttled=True)
    return Permit(initial_access_token_id=None)


def _usable_token(bearer: str) -> InitialAccessToken:
    wanted = digest(bearer)
    row = db_session().scalar(select(InitialAccessToken).where(InitialAccessToken.token_digest == wanted))
    if row is None or not hmac.compare_digest(row.token_digest, wanted):
        raise RegistrationRefused("The initial access token is not valid.")
    if row.expires_at is not None and row.expires_at <= utcnow():
        raise RegistrationRefused("The initial access token has expired.")
    if row.max_uses is not None and row.uses >= row.max_uses:
        raise RegistrationRefused("The initial access token has been used up.")
    return row


def _use_token(token_id: int, now: datetime) -> None:
    """One use, counted in the statement that checks it: two registrations racing for the last use
    cannot both win (the row count says which did)."""
    result = db_session().execute(
        update(InitialAccessToken)
        .where(InitialAccessToken.id == token_id)
        .where(or_(InitialAccessToken.max_uses.is_(None), InitialAccessToken.uses < InitialAccessToken.max_uses))
        .where(or_(InitialAccessToken.expires_at.is_(None), InitialAccessToken.expires_at > now))
        .values(uses=InitialAccessToken.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise RegistrationRefused("The initial access token has been used up or has expired.")


def register(metadata: ClientMetadata, grant: Permit) -> SelfRegistration:
    """Create the client and its registration access token in one transaction with the token's use."""
    session = db_session()
    try:
        if grant.initial_access_token_id is not None:
            _use_token(grant.initial_access_token_id, utcnow())
        created = clients.add_client(metadata, registered_via="dcr")
        access_token = new_credential()
        session.add(
            ClientRegistration(
                client_id=created.client.id,
                access_token_digest=digest(access_token),
                initial_access_token_id=grant.initial_access_token_id,
            )
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return SelfRegistration(
        client=created.client, client_secret=created.client_secret, registration_access_token=access_token
    )


def find_registration(client_id: str, bearer: str) -> ClientRegistration | None:
    """The registration ``bearer`` manages, if it is that client's current registration access token
    (RFC 7592 §2) and the client is still enabled."""
    wanted = digest(bearer)
    row = db_session().scalar(
        select(ClientRegistration)
        .join(Client, Client.id == ClientRegistration.client_id)
        .where(Client.client_id == client_id, ClientRegistration.access_token_digest == wanted)
    )
    if row is None or not hmac.compare_digest(row.access_token_digest, wanted) or row.client.disabled:
        return None
    return row


def update_registration(row: ClientRegistration, metadata: ClientMetadata) -> SelfRegistration:
    """RFC 7592 §2.2: the metadata replaced and a new registration access token issued (the old one
    stops working), in one transaction; a secret is issued only if the client now needs one."""
    access_token = new_credential()
    # Replaced only if still the one presented: of two updates racing with one token, one wins.
    result = db_session().execute(
        update(ClientRegistration)
        .where(ClientRegistration.id == row.id, ClientRegistration.access_token_digest == row.access_token_digest)
        .values(access_token_digest=digest(access_token), rotated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db_session().rollback()
        raise RegistrationRefused("The registration access token has just been replaced.")
    updated = clients.update_client(row.client, metadata)
    return SelfRegistration(
        client=updated.client, client_secret=updated.client_secret, registration_access_token=access_token
    )


def delete_registration(row: ClientRegistration) -> None:
    """RFC 7592 §2.3: the client is deleted as its developer would in the portal (every token revoked
    at once), and its registration access token goes with it."""
    client = row.client
    db_session().delete(row)
    clients.delete_client(client)


def client_metadata(client: Client) -> dict:
    """The registered metadata, as RFC 7591 §3.2.1 echoes it (members without a value left out)."""
    body = {
        "client_id": client.client_id,
        "client_id_issued_at": int(client.created_at.timestamp()),
        "client_name": client.name,
        "redirect_uris": client.redirect_uris,
        "grant_types": client.grant_types,
        "response_types": client.response_types,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "scope": " ".join(client.scopes),
        "access_token_format": client.access_token_format,
        "contacts": client.contacts,
        "client_uri": client.client_uri,
        "logo_uri": client.logo_uri,
        "policy_uri": client.policy_uri,
        "tos_uri": client.tos_uri,
        # RFC 9449 §5.2, echoed when set (its default is false).
        "dpop_bound_access_tokens": client.dpop_bound_access_tokens or None,
    }
    return {key: value for key, value in body.items() if value not in (None, [], "")}
