"""`manage.py tokens purge`: expired rows go, anything still usable (or needed to spot replay) stays."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from authserver.accounts.services import add_user
from authserver.clients.services import register_client
from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.tokens import codes
from authserver.tokens import device_codes
from authserver.tokens import pushed_requests
from authserver.tokens import services
from authserver.tokens.models import AuthorizationCode
from authserver.tokens.models import DeviceAuthorization
from authserver.tokens.models import PushedAuthorizationRequest
from authserver.tokens.models import Token
from shared.security import digest


def _seed(app) -> None:
    with app.app_context():
        client = register_client(name="Web", redirect_uris=["https://app.example/cb"]).client
        user = add_user("purge@example.com", None)
        now = utcnow()

        def token(name, access_delta, refresh_delta=None, **extra):
            services.store_token(
                access_token=name,
                refresh_token=name + "-r" if refresh_delta is not None else None,
                client_pk=client.id,
                user_id=user.id,
                scope="openid",
            )
            row = db_session().scalars(select(Token).where(Token.access_token_digest == digest(name))).one()
            row.access_expires_at = now + access_delta
            row.refresh_expires_at = now + refresh_delta if refresh_delta is not None else None
            for key, value in extra.items():
                setattr(row, key, value)
            db_session().commit()

        hour = timedelta(hours=1)
        token("live", hour, hour)
        token("expired-cc", -hour)
        token("expired-access-live-refresh", -hour, hour)
        token("rotated-refresh-kept-for-replay-detection", -hour, hour, refresh_rotated_at=now)
        token("both-expired", -hour, -hour)
        token("revoked-and-access-expired", -hour, hour, revoked_at=now)
        for name, delta in (("fresh", hour), ("stale", -hour)):
            codes.create_code(
                name,
                client_pk=client.id,
                user_id=user.id,
                redirect_uri="https://app.example/cb",
                scope="openid",
                nonce=None,
                code_challenge=None,
                code_challenge_method=None,
                auth_time=now,
            )
            row = db_session().scalar(select(AuthorizationCode).where(AuthorizationCode.code_digest == digest(name)))
            row.expires_at = now + delta
            db_session().commit()
        for name, expires_in in (("fresh-device", 600), ("stale-device", -1)):
            device_codes.create(
                device_code=name,
                user_code=device_codes.new_user_code(),
                client_pk=client.id,
                scope="openid",
                expires_in=expires_in,
                interval=5,
            )
        pushed_requests.push(client.id, [])  # live: kept
        used = pushed_requests.push(client.id, [])
        pushed_requests.use(pushed_requests.open_request(used, client.id, "a browser").id)
        stale = pushed_requests.push(client.id, [])
        db_session().execute(
            update(PushedAuthorizationRequest)
            .where(PushedAuthorizationRequest.request_uri_digest == digest(stale))
            .values(expires_at=now - timedelta(seconds=1))
        )
        db_session().commit()


def test_purge_deletes_only_what_nothing_can_use(cli, auth_app):
    _seed(auth_app)
    result = cli.ok("tokens", "purge", "--json").json
    assert result == {
        "tokens": 3,
        "authorization_codes": 1,
        "device_authorizations": 1,
        "pushed_authorization_requests": 2,
        "revocation_events": 0,
    }
    with auth_app.app_context():
        left = set(db_session().scalars(select(Token.access_token_digest)))
        assert left == {
            digest(n) for n in ("live", "expired-access-live-refresh", "rotated-refresh-kept-for-replay-detection")
        }
        assert db_session().scalar(select(func.count()).select_from(AuthorizationCode)) == 1
        left = set(db_session().scalars(select(DeviceAuthorization.device_code_digest)))
        assert left == {digest("fresh-device")}
    out = cli.ok("tokens", "purge").out
    assert "deleted 0 tokens, 0 authorization codes and 0 device authorization requests" in out


def test_tokens_are_stored_only_as_digests(auth_app):
    _seed(auth_app)
    with auth_app.app_context():
        rows = db_session().execute(select(Token.__table__)).mappings().all()
    refreshable = (
        "live",
        "expired-access-live-refresh",
        "rotated-refresh-kept-for-replay-detection",
        "both-expired",
        "revoked-and-access-expired",
    )
    assert {row["refresh_token_digest"] for row in rows} == {None} | {digest(n + "-r") for n in refreshable}
    plaintexts = {*refreshable, *(n + "-r" for n in refreshable), "expired-cc"}
    assert not plaintexts & {value for row in rows for value in row.values()}
