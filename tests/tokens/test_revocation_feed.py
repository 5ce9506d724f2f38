"""Every revocation becomes an event of the feed resource servers read (``GET /internal/revocations``),
in the transaction that revokes, numbered in commit order; on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from authserver.accounts.services import add_user
from authserver.accounts.services import disable_user
from authserver.clients.services import delete_client
from authserver.clients.services import disable_client
from authserver.clients.services import register_client
from authserver.consent import services as consent
from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.scopes.approvals import approve_scope
from authserver.scopes.approvals import revoke_scope_approval
from authserver.scopes.services import add_scope
from authserver.scopes.services import remove_scope
from authserver.tokens import revocations
from authserver.tokens.models import RevocationEvent
from authserver.tokens.models import Token
from authserver.tokens.services import purge_expired
from authserver.tokens.services import revoke_family
from authserver.tokens.services import revoke_token
from shared.security import digest


@pytest.fixture
def feed(auth_app):
    """``feed(after=None, auth=resource server)``: the endpoint's answer through the test client."""
    with auth_app.app_context():
        registration = register_client(name="RS", redirect_uris=[], resource_server=True)
        credentials = (registration.client.client_id, registration.client_secret)
    client = auth_app.test_client()

    def read(after=None, auth=credentials, **params):
        query = {**({} if after is None else {"after": after}), **params}
        return client.get("/internal/revocations", query_string=query, auth=auth)

    return read


def _cursor(feed) -> int:
    """The feed's cursor now (a fresh database has no event yet)."""
    answer = feed().json
    assert answer["events"] == [] and answer["more"] is False
    return answer["cursor"]


def _events(feed, cursor: int) -> list[dict]:
    answer = feed(cursor).json
    assert answer["more"] is False
    for event in answer["events"]:
        assert event["id"] > cursor
        cursor = event["id"]
    assert answer["cursor"] == cursor
    return answer["events"]


def _token(client_pk: int, user_id: int | None = None, family_id: str | None = None, lifetime: int = 3600) -> str:
    access_token = secrets.token_urlsafe(32)
    db_session().add(
        Token(
            access_token_digest=digest(access_token),
            family_id=family_id,
            client_id=client_pk,
            user_id=user_id,
            scope="openid",
            access_expires_at=utcnow() + timedelta(seconds=lifetime),
        )
    )
    db_session().commit()
    return access_token


def test_the_feed_answers_resource_servers_only(auth_app, feed):
    with auth_app.app_context():
        partner = register_client(name="Partner", redirect_uris=[])
        partner_credentials = (partner.client.client_id, partner.client_secret)
    for auth in (None, partner_credentials):
        refused = feed(auth=auth)
        assert refused.status_code == 401 and refused.json["error"] == "invalid_client"
    for after in ("-1", "1.5", "abc", "9" * 19):
        refused = feed(after)
        assert refused.status_code == 400 and refused.json["error"] == "invalid_request"
    answer = feed()
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"


def test_a_token_and_a_family_are_sent_as_the_digests_of_their_live_access_tokens(auth_app, feed):
    cursor = _cursor(feed)
    with auth_app.app_context():
        client = register_client(name="App", redirect_uris=["https://app.example/cb"]).client
        user = add_user("feed@example.com", None)
        db_session().commit()
        alone = _token(client.id, user.id)
        family = [_token(client.id, user.id, "fam-1"), _token(client.id, user.id, "fam-1")]
        _token(client.id, user.id, "fam-1", lifetime=-5)  # expired: nothing to tell
        revoke_token(db_session().scalar(select(Token.id).where(Token.access_token_digest == digest(alone))))
        revoke_family("fam-1", reason="test")
        revoke_family("fam-1", reason="again: nothing left to revoke")
    first, second = _events(feed, cursor)
    assert first["reason"] == "token" and [entry["digest"] for entry in first["tokens"]] == [digest(alone)]
    assert abs(first["tokens"][0]["exp"] - (time.time() + 3600)) < 60
    assert second["reason"] == "family"
    assert sorted(entry["digest"] for entry in second["tokens"]) == sorted(digest(token) for token in family)


def test_consent_client_user_and_scope_revocations_are_events(auth_app, feed):
    cursor = _cursor(feed)
    with auth_app.app_context():
        add_scope("reports:read", "Read reports", restricted=True)
        client = register_client(name="App", redirect_uris=["https://app.example/cb"]).client
        other = register_client(name="Other", redirect_uris=["https://other.example/cb"]).client
        user = add_user("consent@example.com", None)
        db_session().commit()
        consent.grant(user.id, client.id, "openid")
        kept = _token(other.id, user.id, "other")
        withdrawn = _token(client.id, user.id, "app")
        assert consent.revoke(user.id, client)
        approve_scope(client, "reports:read")
        revoke_scope_approval(client, "reports:read")
        remove_scope("reports:read")
        disable_user("consent@example.com")
        disable_client(other.client_id)
        delete_client(client)
        before = int(time.time())
    events = _events(feed, cursor)
    assert [event["reason"] for event in events] == [
        "consent",
        "scope approval revoked",
        "scope removed",
        "user disabled",
        "client",
        "client",
    ]
    assert [entry["digest"] for entry in events[0]["tokens"]] == [digest(withdrawn)]
    assert digest(kept) not in str(events)
    assert [event["match"] for event in events[1:]] == [
        {"client_id": client.client_id, "scope": "reports:read"},
        {"scope": "reports:read"},
        {"sub": user.sub},
        {"client_id": other.client_id},
        {"client_id": client.client_id},
    ]
    for event in events[1:]:
        assert before - 5 <= event["issued_before"] <= before
        assert event["until"] > event["issued_before"] + 3000  # the access-token lifetime


def test_what_rolls_back_is_never_announced_and_pages_follow_each_other(auth_app, feed, monkeypatch):
    cursor = _cursor(feed)
    with auth_app.app_context():
        client = register_client(name="App", redirect_uris=[]).client
        revocations.announce_match("rolled back", client_id=client.client_id)
        db_session().rollback()
        db_session().commit()
        for _ in range(5):
            revocations.announce_match("client", client_id=client.client_id)
            db_session().commit()
    monkeypatch.setattr(revocations, "FEED_PAGE", 2)
    seen = []
    while True:
        answer = feed(cursor).json
        seen += answer["events"]
        cursor = answer["cursor"]
        if not answer["more"]:
            break
    assert [event["reason"] for event in seen] == ["client"] * 5
    assert feed(cursor).json == {"events": [], "cursor": cursor, "more": False}
    # A cursor from a database since replaced starts over: every event whose tokens may be alive.
    monkeypatch.setattr(revocations, "FEED_PAGE", 500)
    assert feed(cursor + 1000).json == {"events": seen, "cursor": cursor, "more": False}


def test_purge_drops_events_that_cover_no_live_token(auth_app, feed):
    cursor = _cursor(feed)
    with auth_app.app_context():
        client = register_client(name="App", redirect_uris=[]).client
        revocations.announce_match("client", client_id=client.client_id)
        revocations.announce_match("client", client_id=client.client_id)
        db_session().commit()
        oldest = db_session().scalar(select(func.min(RevocationEvent.id)).where(RevocationEvent.id > cursor))
        db_session().get(RevocationEvent, oldest).expires_at = utcnow() - timedelta(seconds=1)
        db_session().commit()
        assert [event["id"] for event in _events(feed, cursor)] == [oldest + 1]  # no longer sent
        assert purge_expired()["revocation_events"] == 1
        assert db_session().scalar(select(func.count()).select_from(RevocationEvent)) == 1
