"""The connected-apps page: grants listed by scope description; revoking one ends the client's access."""

import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from authserver.audit.models import AuditEvent
from authserver.clients.services import register_client
from authserver.consent import services as consent
from authserver.consent.models import Consent
from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.models import User
from authserver.tokens.models import AuthorizationCode
from authserver.tokens.models import Token
from tests.support.accounts import csrf_token


def new_client(name):
    return register_client(name=name, redirect_uris=["https://app.example/cb"]).client


def new_token(client_pk, user_id):
    token = Token(
        access_token_digest=secrets.token_hex(32),
        family_id=secrets.token_hex(8),
        client_id=client_pk,
        user_id=user_id,
        scope="openid",
        access_expires_at=utcnow() + timedelta(hours=1),
    )
    db_session().add(token)
    db_session().commit()
    return token.id


@pytest.fixture
def world(auth_app, user):
    """Ada granted Notes and Mail; Bob granted Notes. Each grant has a live token."""
    with auth_app.app_context():
        bob = User(sub="bob-sub", email="bob@example.com")
        db_session().add(bob)
        db_session().commit()
        notes, mail = new_client("Notes"), new_client("Mail")
        consent.grant(user.id, notes.id, "openid email")
        consent.grant(user.id, mail.id, "profile")
        consent.grant(bob.id, notes.id, "openid")
        code = AuthorizationCode(
            code_digest=secrets.token_hex(32),
            client_id=notes.id,
            user_id=user.id,
            redirect_uri="https://app.example/cb",
            scope="openid",
            auth_time=utcnow(),
            expires_at=utcnow() + timedelta(seconds=60),
        )
        db_session().add(code)
        db_session().commit()
        tokens = {
            "ada-notes": new_token(notes.id, user.id),
            "ada-mail": new_token(mail.id, user.id),
            "bob-notes": new_token(notes.id, bob.id),
        }
    return {"notes": notes, "mail": mail, "tokens": tokens}


def revoked(auth_app, token_id):
    with auth_app.app_context():
        return db_session().get(Token, token_id).revoked_at is not None


def test_connected_apps_needs_sign_in(auth_app):
    response = auth_app.test_client().get("/account/apps")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Faccount%2Fapps"


def test_lists_each_granted_app_with_scope_descriptions_and_date(world, signed_in):
    html = signed_in.get("/account/apps").get_data(as_text=True)
    sections = re.findall(r'<section class="app" data-client-id="([^"]+)">(.*?)</section>', html, re.S)
    assert sorted(client_id for client_id, _ in sections) == sorted([world["notes"].client_id, world["mail"].client_id])
    notes = dict(sections)[world["notes"].client_id]
    assert "Notes" in notes
    assert re.findall(r'data-scope="([^"]+)"', notes) == ["openid", "email"]
    assert "See your email address" in notes
    assert utcnow().strftime("%Y") in notes
    assert "bob" not in html


def test_revoking_deletes_the_consent_and_revokes_only_that_clients_tokens_for_that_user(
    auth_app, world, signed_in, user
):
    token = csrf_token(signed_in.get("/account/apps").get_data(as_text=True))
    response = signed_in.post(f"/account/apps/{world['notes'].client_id}/revoke", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/account/apps"
    page = signed_in.get("/account/apps").get_data(as_text=True)
    assert "Notes can no longer access your account" in page
    assert world["notes"].client_id not in page and world["mail"].client_id in page
    tokens = world["tokens"]
    assert revoked(auth_app, tokens["ada-notes"])
    assert not revoked(auth_app, tokens["ada-mail"]) and not revoked(auth_app, tokens["bob-notes"])
    with auth_app.app_context():
        session = db_session()
        assert consent.find_consent(user.id, world["notes"].id) is None
        assert len(session.scalars(select(Consent)).all()) == 2
        assert session.scalars(select(AuthorizationCode)).all() == []
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.event == "consent.revoked")).all()
        assert event.user_id == user.id and event.client_id == world["notes"].client_id
        assert event.details == {"tokens_revoked": 1}


def test_revoking_needs_the_csrf_token(auth_app, world, signed_in):
    response = signed_in.post(f"/account/apps/{world['notes'].client_id}/revoke")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert not revoked(auth_app, world["tokens"]["ada-notes"])


def test_revoking_an_app_that_was_never_connected_is_a_404_page(auth_app, signed_in):
    with auth_app.app_context():
        stranger = new_client("Stranger")
    token = csrf_token(signed_in.get("/account/apps").get_data(as_text=True) + _hidden(signed_in))
    for client_id in (stranger.client_id, "no-such-client"):
        response = signed_in.post(f"/account/apps/{client_id}/revoke", data={"csrf_token": token})
        assert response.status_code == 404 and response.mimetype == "text/html"


def _hidden(signed_in):
    """A CSRF token from a page that always has one, for when the apps page lists nothing."""
    return signed_in.get("/logout").get_data(as_text=True)


def test_empty_page_says_no_app_has_access(signed_in):
    assert "No app has access to your account" in signed_in.get("/account/apps").get_data(as_text=True)


def test_revoking_a_client_id_no_client_could_have_is_a_404_page(signed_in):
    # A NUL byte must not reach the query: PostgreSQL refuses it with an error.
    token = csrf_token(_hidden(signed_in))
    for client_id in ("a%00b", "x" * 65):
        response = signed_in.post(f"/account/apps/{client_id}/revoke", data={"csrf_token": token})
        assert response.status_code == 404 and response.mimetype == "text/html", client_id
