"""Whatever an upstream or a URL sends, the answer is a page of ours, never a 500 (on SQLite and PostgreSQL)."""

from html import unescape

import requests
from sqlalchemy import select

from authserver.extensions import db_session
from authserver.models import User
from tests.federation.conftest import failures
from tests.federation.conftest import go
from tests.federation.conftest import signed_in_email
from tests.federation.conftest import upstream_round_trip
from tests.federation.conftest import users
from tests.support.accounts import csrf_token


def test_provider_names_that_were_never_stored_are_not_found(auth_server, oidc):
    for path in ("/login/%00", "/login/%00/callback?state=s", "/login/corp%0A", "/login/" + "a" * 3000):
        assert go(requests.Session(), auth_server.url + path).status_code == 404, path
    assert oidc.authorize_requests == []


def test_a_subject_too_long_to_store_is_refused(auth_server, oidc):
    oidc.user = dict(oidc.user, sub="s" * 256)
    trip = upstream_round_trip(requests.Session(), auth_server.url, "corp")
    assert trip.callback.status_code == 400 and "couldn't sign you in" in unescape(trip.callback.text)
    assert users(auth_server.app) == [] and failures(auth_server.app) == ["upstream_error"]


def test_an_email_that_is_not_a_string_counts_as_none(auth_server, github):
    github.emails = [{"email": 5, "primary": True, "verified": True}]
    trip = upstream_round_trip(requests.Session(), auth_server.url, "github")
    assert trip.callback.status_code == 400 and "We need an email address" in trip.callback.text
    assert failures(auth_server.app) == ["no_email"]


def test_an_odd_display_name_is_dropped_or_trimmed(auth_server, github):
    github.user = {"id": 7, "login": "ada", "name": {"not": "a string"}}
    session = requests.Session()
    assert upstream_round_trip(session, auth_server.url, "github").callback.status_code == 303
    assert signed_in_email(session, auth_server.url) == "ada@example.com"

    github.user = {"id": 8, "login": "grace", "name": "n" * 500}
    github.emails = [{"email": "grace@example.com", "primary": True, "verified": True}]
    session = requests.Session()
    assert upstream_round_trip(session, auth_server.url, "github").callback.status_code == 303
    assert signed_in_email(session, auth_server.url) == "grace@example.com"
    with auth_server.app.app_context():
        names = {u.email: u.name for u in db_session().scalars(select(User))}
    assert names == {"ada@example.com": None, "grace@example.com": "n" * 200}


def test_an_identity_id_beyond_the_column_range_is_not_found(auth_server, oidc, github):
    session = requests.Session()
    upstream_round_trip(session, auth_server.url, "corp")
    token = csrf_token(go(session, f"{auth_server.url}/account/identities").text)
    for identity_id in ("2147483648", "99999999999999999999"):
        page = session.post(
            f"{auth_server.url}/account/identities/{identity_id}/unlink",
            data={"csrf_token": token},
            allow_redirects=False,
            timeout=10,
        )
        assert page.status_code == 404, identity_id
