"""Accounts: found by (provider, subject), never linked by email alone, unlinked never to zero."""

import re

import requests
from sqlalchemy import select

from authserver.accounts import throttle
from authserver.audit.models import AuditEvent
from authserver.extensions import db_session
from authserver.federation.models import UpstreamIdentity
from tests.federation.conftest import PASSWORD
from tests.federation.conftest import go
from tests.federation.conftest import signed_in_email
from tests.federation.conftest import upstream_round_trip
from tests.federation.conftest import users
from tests.support.accounts import add_user
from tests.support.accounts import csrf_token
from tests.support.accounts import sign_in

AUTHORIZE = "/oauth/authorize?client_id=app&response_type=code&state=s1"


def identities(app):
    with app.app_context():
        return [
            (i.user_id, i.subject) for i in db_session().scalars(select(UpstreamIdentity).order_by(UpstreamIdentity.id))
        ]


def confirm(session, base, password):
    page = go(session, f"{base}/login/link")
    return session.post(
        f"{base}/login/link",
        data={"csrf_token": csrf_token(page.text), "password": password},
        allow_redirects=False,
        timeout=10,
    )


def test_verified_email_of_an_existing_account_links_only_after_its_password(auth_server, oidc):
    local = add_user(auth_server.app, "ada@example.com", PASSWORD)
    session = requests.Session()
    trip = upstream_round_trip(session, auth_server.url, "corp", next_url=AUTHORIZE)
    assert trip.landed == "/login/link"
    page = go(session, f"{auth_server.url}/login/link")
    assert "An account with the email <strong>ada@example.com</strong> already exists" in page.text
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"
    assert identities(auth_server.app) == [] and signed_in_email(session, auth_server.url) is None

    wrong = confirm(session, auth_server.url, "not the password")
    assert wrong.status_code == 401 and identities(auth_server.app) == []

    linked = confirm(session, auth_server.url, PASSWORD)
    assert linked.status_code == 303 and linked.headers["Location"] == AUTHORIZE
    assert identities(auth_server.app) == [(local.id, "upstream-user-1")]
    # From now on the upstream signs in to the same account, with the same sub.
    later = requests.Session()
    assert upstream_round_trip(later, auth_server.url, "corp").callback.status_code == 303
    assert signed_in_email(later, auth_server.url) == "ada@example.com"
    assert users(auth_server.app) == [("ada@example.com", local.sub, False)]


def test_unverified_email_of_an_existing_account_is_never_linked(auth_server, oidc):
    add_user(auth_server.app, "ada@example.com", PASSWORD)
    oidc.user["email_verified"] = False
    session = requests.Session()
    trip = upstream_round_trip(session, auth_server.url, "corp", next_url=AUTHORIZE)
    assert trip.callback.status_code == 409
    assert "link Corp from your account page" in trip.callback.text
    assert identities(auth_server.app) == [] and signed_in_email(session, auth_server.url) is None
    # Nor can the pending-link page be reached without a verified email.
    assert go(session, f"{auth_server.url}/login/link").status_code == 400


def test_new_identity_creates_an_account_with_the_upstream_email(auth_server, oidc):
    oidc.user.update(email="New@Example.com", email_verified=False)
    upstream_round_trip(requests.Session(), auth_server.url, "corp")
    [(email, sub, verified)] = users(auth_server.app)
    assert (email, verified) == ("new@example.com", False)
    assert sub and sub != "upstream-user-1"


def test_linking_from_the_account_page_keeps_one_sub_across_providers(auth_server, oidc, github):
    session = requests.Session()
    upstream_round_trip(session, auth_server.url, "corp")
    [(_email, sub, _v)] = users(auth_server.app)
    github.user["id"] = 77
    page = go(session, f"{auth_server.url}/account/identities")
    start = session.post(
        f"{auth_server.url}/account/identities/link/github",
        data={"csrf_token": csrf_token(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    upstream = go(session, start.headers["Location"])
    done = go(session, upstream.headers["Location"])
    assert done.status_code == 303 and done.headers["Location"] == "/account/identities"
    assert [subject for _uid, subject in identities(auth_server.app)] == ["upstream-user-1", "77"]
    fresh = requests.Session()
    assert upstream_round_trip(fresh, auth_server.url, "github").callback.status_code == 303
    assert signed_in_email(fresh, auth_server.url) == "ada@example.com"
    assert [row[1] for row in users(auth_server.app)] == [sub]


def test_linking_an_identity_that_belongs_to_someone_else_is_refused(auth_server, oidc):
    upstream_round_trip(requests.Session(), auth_server.url, "corp")  # corp identity -> ada
    add_user(auth_server.app, "bob@example.com", PASSWORD)
    bob = requests.Session()
    sign_in(bob, auth_server.url, "bob@example.com", PASSWORD)
    page = go(bob, f"{auth_server.url}/account/identities")
    start = bob.post(
        f"{auth_server.url}/account/identities/link/corp",
        data={"csrf_token": csrf_token(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    done = go(bob, go(bob, start.headers["Location"]).headers["Location"])
    assert done.status_code == 409 and "already linked to a different account" in done.text
    assert len(identities(auth_server.app)) == 1


def unlink_forms(html):
    return re.findall(r'action="(/account/identities/\d+/unlink)"', html)


def test_the_only_way_to_sign_in_cannot_be_unlinked(auth_server, oidc, github):
    session = requests.Session()
    upstream_round_trip(session, auth_server.url, "corp")
    page = go(session, f"{auth_server.url}/account/identities")
    assert unlink_forms(page.text) == [] and "only way to sign in" in page.text
    [(_uid, _subject)] = identities(auth_server.app)
    with auth_server.app.app_context():
        identity_id = db_session().scalars(select(UpstreamIdentity.id)).one()
    refused = session.post(
        f"{auth_server.url}/account/identities/{identity_id}/unlink",
        data={"csrf_token": csrf_token(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert refused.status_code == 409 and len(identities(auth_server.app)) == 1
    # With a second identity linked, one of them may go, but then not the other.
    start = session.post(
        f"{auth_server.url}/account/identities/link/github",
        data={"csrf_token": csrf_token(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    go(session, go(session, start.headers["Location"]).headers["Location"])
    page = go(session, f"{auth_server.url}/account/identities")
    first, _second = unlink_forms(page.text)
    assert (
        session.post(
            auth_server.url + first, data={"csrf_token": csrf_token(page.text)}, allow_redirects=False, timeout=10
        ).status_code
        == 303
    )
    assert len(identities(auth_server.app)) == 1
    assert unlink_forms(go(session, f"{auth_server.url}/account/identities").text) == []


def test_a_user_with_a_password_can_unlink_their_only_identity(auth_server, oidc):
    add_user(auth_server.app, "ada@example.com", PASSWORD)
    session = requests.Session()
    upstream_round_trip(session, auth_server.url, "corp")
    confirm(session, auth_server.url, PASSWORD)
    page = go(session, f"{auth_server.url}/account/identities")
    [form] = unlink_forms(page.text)
    assert (
        session.post(
            auth_server.url + form, data={"csrf_token": csrf_token(page.text)}, allow_redirects=False, timeout=10
        ).status_code
        == 303
    )
    assert identities(auth_server.app) == []


def test_unlinking_someone_elses_identity_is_refused(auth_server, oidc):
    upstream_round_trip(requests.Session(), auth_server.url, "corp")
    add_user(auth_server.app, "bob@example.com", PASSWORD)
    bob = requests.Session()
    sign_in(bob, auth_server.url, "bob@example.com", PASSWORD)
    page = go(bob, f"{auth_server.url}/account/identities")
    with auth_server.app.app_context():
        identity_id = db_session().scalars(select(UpstreamIdentity.id)).one()
    refused = bob.post(
        f"{auth_server.url}/account/identities/{identity_id}/unlink",
        data={"csrf_token": csrf_token(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert refused.status_code == 409 and len(identities(auth_server.app)) == 1


def test_the_password_to_confirm_a_link_is_throttled_and_audited_like_the_login_form(monkeypatch, auth_server, oidc):
    monkeypatch.setattr(throttle, "MAX_FAILURES_PER_ACCOUNT", 2)
    add_user(auth_server.app, "ada@example.com", PASSWORD)
    session = requests.Session()
    assert upstream_round_trip(session, auth_server.url, "corp").landed == "/login/link"
    for _ in range(2):
        assert confirm(session, auth_server.url, "not the password").status_code == 401
    blocked = confirm(session, auth_server.url, PASSWORD)
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.text
    assert identities(auth_server.app) == [] and signed_in_email(session, auth_server.url) is None
    with auth_server.app.app_context():
        assert db_session().scalars(select(AuditEvent.event).where(AuditEvent.event == "login.throttled")).all() == [
            "login.throttled"
        ]
