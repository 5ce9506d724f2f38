"""Access and refresh tokens: issue, rotate, revoke, look up and purge.

Tokens are 256-bit random values shown once to the client; only their SHA-256 digests are stored,
so one indexed lookup by digest finds a row and a database leak yields no usable token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import fields
from datetime import datetime
from datetime import timedelta

from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from authserver.accounts.models import User
from authserver.audit.services import record
from authserver.clients.models import Client
from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.extensions import get_config
from authserver.extensions import get_db
from authserver.tokens import access_jwt
from authserver.tokens.models import AuthorizationCode
from authserver.tokens.models import DeviceAuthorization
from authserver.tokens.models import PushedAuthorizationRequest
from authserver.tokens.models import Token
from authserver.tokens.revocations import announce_match
from authserver.tokens.revocations import announce_tokens
from authserver.tokens.revocations import purge_expired as purge_revocation_events
from shared.security import digest
from shared.security import new_identifier

_TOKEN_TABLE = Token.__table__
_INSERT_TOKEN = insert(_TOKEN_TABLE).values(
    {column.name: bindparam(column.name, type_=column.type) for column in _TOKEN_TABLE.c if column.name != "id"}
)


def store_token(*, with_session_changes: bool = True, as_jwt: Callable[[dict], dict] | None = None, **token) -> str:
    """Store one token row (digests only), commit it, and return the access token to hand out.

    ``with_session_changes``: the token commits in one transaction with what the request's session
    changed (a consumed authorization code, a rotated refresh token). A token with nothing to commit
    alongside (client credentials) is one direct INSERT, its own transaction.

    ``as_jwt``: the access token is an RFC 9068 JWT (``tokens.access_jwt``) of the claims this makes of
    the row's values, instead of ``access_token``; the row stores its digest all the same.
    """
    values = _token_values(**token)
    access_token = token["access_token"]
    if as_jwt is not None:
        access_token = access_jwt.sign(as_jwt(values))
        values["access_token_digest"] = digest(access_token)
    if not with_session_changes:
        get_db().direct(_INSERT_TOKEN).first(values)
        return access_token
    session = db_session()
    session.connection().execute(_INSERT_TOKEN, values)
    session.commit()
    return access_token


def _token_values(
    *,
    access_token: str,
    refresh_token: str | None,
    client_pk: int,
    user_id: int | None,
    scope: str,
    audience: str | None = None,
    family_id: str | None = None,
    authorization_code_id: int | None = None,
    auth_time: datetime | None = None,
    dpop_jkt: str | None = None,
    amr: str | None = None,
    act: dict | None = None,
    access_ttl: int | None = None,
) -> dict:
    """``access_ttl``: the access token's lifetime in seconds when shorter than the configured one
    (an exchanged token never outlives its subject token)."""
    config = get_config()
    now = utcnow()
    return dict(
        access_token_digest=digest(access_token),
        refresh_token_digest=digest(refresh_token) if refresh_token else None,
        # Refresh tokens rotate and codes can be replayed: what came from either forms a family.
        family_id=family_id or (new_identifier() if refresh_token or authorization_code_id else None),
        client_id=client_pk,
        user_id=user_id,
        authorization_code_id=authorization_code_id,
        scope=scope,
        audience=audience,
        dpop_jkt=dpop_jkt,
        issued_at=now,
        access_expires_at=now + timedelta(seconds=access_ttl or config.access_token_ttl),
        refresh_expires_at=now + timedelta(seconds=config.refresh_token_ttl) if refresh_token else None,
        auth_time=auth_time,
        amr=amr,
        act=act,
        refresh_rotated_at=None,
        revoked_at=None,
    )


def find_by_refresh_token(refresh_token: str) -> tuple[Token, User | None] | None:
    found = (
        db_session()
        .execute(
            select(Token, User)
            .outerjoin(User, User.id == Token.user_id)
            .where(Token.refresh_token_digest == digest(refresh_token))
        )
        .first()
    )
    return (found[0], found[1]) if found else None


def claim_rotation(token_id: int) -> bool:
    """Mark a refresh token as exchanged; True for exactly one of any number of racing callers.

    One conditional UPDATE, so two concurrent refreshes cannot both win and the family cannot fork
    (RFC 9700 §4.14.2). The caller commits it together with the new token.
    """
    result = db_session().execute(
        update(Token)
        .where(Token.id == token_id, Token.refresh_rotated_at.is_(None), Token.revoked_at.is_(None))
        .values(refresh_rotated_at=utcnow())
    )
    return result.rowcount == 1


def revoke_family(family_id: str | None, reason: str) -> int:
    """Revoke every token of a family; ``reason`` goes to the audit log (replay is an incident)."""
    if family_id is None:  # a client-credentials token has none: ``family_id IS NULL`` is every such token
        return 0
    revoked = _revoke_where(Token.family_id == family_id, reason="family")
    record("tokens.family_revoked", reason=reason, family_id=family_id, tokens=revoked)
    db_session().commit()
    return revoked


def revoke_token(token_id: int, client_id: str | None = None) -> None:
    _revoke_where(Token.id == token_id, reason="token")
    record("token.revoked", client_id=client_id, token_id=token_id)
    db_session().commit()


def revoke_user_grants(user_id: int, client_pk: int) -> int:
    """Revoke every token a client holds for a user (and what was exchanged from them) and drop its
    codes not yet exchanged (device approvals included), so one issued a moment before cannot mint
    tokens after. The caller commits; returns the tokens revoked."""
    session = db_session()
    revoked = _revoke_with_exchanged((Token.user_id == user_id) & (Token.client_id == client_pk), "consent")
    session.execute(
        delete(AuthorizationCode).where(
            AuthorizationCode.user_id == user_id,
            AuthorizationCode.client_id == client_pk,
            AuthorizationCode.used_at.is_(None),
        )
    )
    session.execute(
        delete(DeviceAuthorization).where(
            DeviceAuthorization.user_id == user_id,
            DeviceAuthorization.client_id == client_pk,
            DeviceAuthorization.consumed_at.is_(None),
        )
    )
    return revoked


def revoke_client_tokens(client: Client) -> int:
    """Revoke every live token of one client (its app was deleted or disabled), and what other
    clients exchanged from them; the caller commits.

    Resource servers are told of the client's own tokens by a rule, not token by token (a service's
    client-credentials tokens may be many thousands); of the exchanged ones by their digests."""
    announce_match("client", client_id=client.client_id)
    held = Token.client_id == client.id
    exchanged = _revoke_where(Token.family_id.in_(_families(held)), Token.client_id != client.id, reason="client")
    own = db_session().execute(update(Token).where(held, Token.revoked_at.is_(None)).values(revoked_at=utcnow()))
    return own.rowcount + exchanged


def _revoke_with_exchanged(held, reason: str) -> int:
    """Revoke the tokens ``held`` selects and every token of their families: tokens other clients
    got by exchanging one of them share its family (RFC 8693, ``oauth2.exchange``)."""
    return _revoke_where(held | Token.family_id.in_(_families(held)), reason=reason)


def _families(held):
    return select(Token.family_id).where(held, Token.family_id.is_not(None)).scalar_subquery()


def revoke_issued_from_code(code_id: int) -> int:
    """Revoke every family that began with this authorization code (RFC 6749 §4.1.2, RFC 9700 §4.2.1)."""
    revoked = _revoke_where(
        Token.family_id.in_(_families(Token.authorization_code_id == code_id)), reason="code replayed"
    )
    record("tokens.code_replayed", code_id=code_id, tokens=revoked)
    db_session().commit()
    return revoked


def _revoke_where(*conditions, reason: str) -> int:
    """Revoke the live tokens matching ``conditions`` and announce their access tokens to resource
    servers (``revocations``), in the caller's transaction; returns how many were revoked.

    One UPDATE … RETURNING: exactly the rows revoked are announced, even if a token joins a family meanwhile.
    """
    rows = (
        db_session()
        .execute(
            update(Token)
            .where(*conditions, Token.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .returning(Token.access_token_digest, Token.access_expires_at)
            .execution_options(synchronize_session=False)
        )
        .all()
    )
    announce_tokens(((row.access_token_digest, row.access_expires_at) for row in rows), reason)
    return len(rows)


@dataclass(frozen=True)
class TokenRow:
    """The columns of a token that introspection, revocation and userinfo read."""

    id: int
    family_id: str | None
    scope: str
    audience: str | None
    dpop_jkt: str | None
    user_id: int | None
    issued_at: datetime
    access_expires_at: datetime
    refresh_expires_at: datetime | None
    refresh_rotated_at: datetime | None
    revoked_at: datetime | None
    # RFC 8693 §4.1: the actor chain of an exchanged token, None for any other.
    act: dict | None
    # The person's sign-in this token descends from (accounts.methods).
    auth_time: datetime | None
    amr: str | None


@dataclass(frozen=True)
class TokenSubject:
    """The columns of a token's user that introspection and userinfo read."""

    sub: str
    email: str
    disabled: bool
    name: str | None
    email_verified: bool


@dataclass(frozen=True)
class TokenRecord:
    """A token with what introspection and userinfo need of its client and user, from one query."""

    token: TokenRow
    is_refresh: bool
    client_id: str
    client_disabled: bool
    user: TokenSubject | None
    # The client's own limits for resource servers, published as introspection members.
    client_limits: dict[str, int]

    @property
    def expires_at(self) -> datetime | None:
        return self.token.refresh_expires_at if self.is_refresh else self.token.access_expires_at

    @property
    def active(self) -> bool:
        token = self.token
        if token.revoked_at is not None or self.client_disabled:
            return False
        if self.user is not None and self.user.disabled:
            return False
        if token.user_id is not None and self.user is None:
            return False
        if self.is_refresh and token.refresh_rotated_at is not None:
            return False
        expires_at = self.expires_at
        return expires_at is not None and expires_at > utcnow()


_TOKEN_COLUMNS = [Token.__table__.c[field.name] for field in fields(TokenRow)]
_USER_COLUMNS = [User.__table__.c[field.name] for field in fields(TokenSubject)]
# Built once, run as a direct statement: every introspection runs it.
_FIND_TOKEN = (
    select(
        *_TOKEN_COLUMNS,
        Token.__table__.c.refresh_token_digest,
        Client.__table__.c.client_id,
        Client.__table__.c.disabled,
        Client.__table__.c.rate_limit_per_minute,
        Client.__table__.c.tokens_per_day,
        *_USER_COLUMNS,
    )
    .select_from(Token.__table__)
    .join(Client.__table__, Client.__table__.c.id == Token.__table__.c.client_id)
    .outerjoin(User.__table__, User.__table__.c.id == Token.__table__.c.user_id)
    .where(
        or_(
            Token.__table__.c.access_token_digest == bindparam("digest"),
            Token.__table__.c.refresh_token_digest == bindparam("digest"),
        )
    )
)
_TOKEN_WIDTH = len(_TOKEN_COLUMNS)


def find_token(value: str) -> TokenRecord | None:
    """Find an access or refresh token by its value, in one indexed query.

    Type hints are ignored (RFC 7009 §2.1 and RFC 7662 §2.1 allow it): both digest columns are
    unique-indexed, so searching both costs no more than searching one.
    """
    if not value:
        return None
    token_digest = digest(value)
    found = get_db().direct(_FIND_TOKEN).first({"digest": token_digest})
    if found is None:
        return None
    token = TokenRow(*found[:_TOKEN_WIDTH])
    refresh_digest, client_id, client_disabled, rate_limit_per_minute, tokens_per_day = found[
        _TOKEN_WIDTH : _TOKEN_WIDTH + 5
    ]
    user_values = found[_TOKEN_WIDTH + 5 :]
    limits = {"rate_limit_per_minute": rate_limit_per_minute, "tokens_per_day": tokens_per_day}
    return TokenRecord(
        token=token,
        is_refresh=refresh_digest == token_digest,
        client_id=client_id,
        client_disabled=client_disabled,
        user=TokenSubject(*user_values) if user_values[0] is not None else None,
        client_limits={name: value for name, value in limits.items() if value is not None},
    )


def purge_expired() -> dict[str, int]:
    """Delete tokens nothing can use any more, and authorization codes, device requests and pushed
    authorization requests past their lifetime (or used up)."""
    now = utcnow()
    session = db_session()
    tokens = session.execute(
        delete(Token).where(
            Token.access_expires_at < now,
            or_(Token.refresh_expires_at.is_(None), Token.refresh_expires_at < now, Token.revoked_at.is_not(None)),
        )
    ).rowcount
    codes = session.execute(delete(AuthorizationCode).where(AuthorizationCode.expires_at < now)).rowcount
    devices = session.execute(delete(DeviceAuthorization).where(DeviceAuthorization.expires_at < now)).rowcount
    pushed = session.execute(
        delete(PushedAuthorizationRequest).where(
            or_(PushedAuthorizationRequest.expires_at < now, PushedAuthorizationRequest.used_at.is_not(None)),
        )
    ).rowcount
    revocation_events = purge_revocation_events(now)
    session.commit()
    return {
        "tokens": tokens,
        "authorization_codes": codes,
        "device_authorizations": devices,
        "pushed_authorization_requests": pushed,
        "revocation_events": revocation_events,
    }
