"""The login page through Flask's test client: the edge cases a browser rarely reaches."""

import re

from argon2 import PasswordHasher
from sqlalchemy import select

from authserver import create_app
from authserver.accounts import throttle
from authserver.audit.models import AuditEvent
from authserver.extensions import db_session
from authserver.models import User
from tests.accounts.conftest import PASSWORD
from tests.support.accounts import add_user
from tests.support.accounts import csrf_token


def post_login(client, email, password, next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, "email": email, "password": password})


def audit(app, event):
    with app.app_context():
        return list(db_session().scalars(select(AuditEvent).where(AuditEvent.event == event)))


def test_login_page_has_email_password_one_submit_button_and_a_csrf_token(client):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert re.search(r'<input[^>]*name="email"', html) and re.search(
        r'<input[^>]*name="password"[^>]*type="password"|<input[^>]*type="password"[^>]*name="password"', html
    )
    assert len(re.findall(r"<button", html)) == 1 and html.count("<form") == 1
    assert csrf_token(html)


def test_good_password_signs_in_and_goes_to_connected_apps_by_default(auth_app, client, user):
    response = post_login(client, "Ada@Example.com", PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/apps"
    assert client.get("/account/apps").status_code == 200
    [event] = audit(auth_app, "login.succeeded")
    assert event.user_id == user.id and PASSWORD not in str(event.details)


def test_wrong_password_and_unknown_email_get_the_same_generic_error(auth_app, client, user):
    wrong = post_login(client, "ada@example.com", "not the password")
    unknown = post_login(client, "nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        html = response.get_data(as_text=True)
        assert "don&#39;t match an active account" in html
        assert "not the password" not in html
    failures = audit(auth_app, "login.failed")
    assert [e.user_id for e in failures] == [user.id, None]
    assert all("not the password" not in str(e.details) for e in failures)
    assert client.get("/account/apps").status_code == 302


def test_an_email_with_a_nul_byte_gets_the_generic_error(client, user):
    # PostgreSQL refuses NUL bytes in a query: it must not get that far.
    assert post_login(client, "ada\x00@example.com", PASSWORD).status_code == 401


def test_disabled_user_is_refused_with_the_generic_error(auth_app, client, user):
    with auth_app.app_context():
        db_session().get(User, user.id).disabled = True
        db_session().commit()
    response = post_login(client, "ada@example.com", PASSWORD)
    assert response.status_code == 401
    assert "don&#39;t match an active account" in response.get_data(as_text=True)
    assert audit(auth_app, "login.failed")[0].details == {"reason": "disabled"}


def test_post_without_csrf_token_is_a_400_html_page(client, user):
    response = client.post("/login", data={"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "This form has expired" in response.get_data(as_text=True)
    assert client.get("/account/apps").status_code == 302


def test_expired_form_page_links_back_to_our_own_page_only(client):
    ours = client.post("/login", headers={"Referer": "http://localhost/login?next=%2Fx"})
    assert 'href="/login?next=%2Fx"' in ours.get_data(as_text=True)
    theirs = client.post("/login", headers={"Referer": "https://evil.example/login"})
    assert "Go back</a>" not in theirs.get_data(as_text=True) and "evil.example" not in theirs.get_data(as_text=True)


def test_next_path_is_honoured(client, user):
    response = post_login(client, "ada@example.com", PASSWORD, next_url="/oauth/authorize%3Fclient_id%3Dabc")
    assert response.headers["Location"] == "/oauth/authorize?client_id=abc"


def test_open_redirect_in_next_is_refused(client, user):
    response = post_login(client, "ada@example.com", PASSWORD, next_url="https://evil.example/")
    assert response.headers["Location"] == "/account/apps"


def test_session_is_renewed_at_sign_in(client, user):
    with client.session_transaction() as session:
        session["sid"] = "fixed-by-an-attacker"
        session["planted"] = "value"
    post_login(client, "ada@example.com", PASSWORD)
    with client.session_transaction() as session:
        assert session["sid"] != "fixed-by-an-attacker"
        assert "planted" not in session
        assert session["uid"] == user.id


def test_session_cookie_is_httponly_and_samesite_lax_and_not_secure_on_http(client, user):
    cookie = post_login(client, "ada@example.com", PASSWORD).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_when_the_issuer_is_https(config):
    app = create_app(config.replace(issuer="https://auth.example"))
    add_user(app, "ada@example.com", PASSWORD)
    client = app.test_client()
    # Over https, and without a Referer: every page says Referrer-Policy: no-referrer.
    client.environ_base.update({"wsgi.url_scheme": "https"})
    response = post_login(client, "ada@example.com", PASSWORD)
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    app.extensions["authserver.db"].dispose()


def test_hash_with_old_parameters_is_replaced_at_sign_in(production_password_hashing, auth_app, client, user):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with auth_app.app_context():
        db_session().get(User, user.id).password_hash = weak
        db_session().commit()
    assert post_login(client, "ada@example.com", PASSWORD).status_code == 303
    with auth_app.app_context():
        stored = db_session().get(User, user.id).password_hash
    assert stored != weak and not PasswordHasher().check_needs_rehash(stored)
    assert post_login(auth_app.test_client(), "ada@example.com", PASSWORD).status_code == 303


def test_repeated_failures_for_one_account_are_throttled(monkeypatch, auth_app, client, user):
    monkeypatch.setattr(throttle, "MAX_FAILURES_PER_ACCOUNT", 2)
    for _ in range(2):
        assert post_login(client, "ada@example.com", "wrong password").status_code == 401
    response = post_login(client, "ada@example.com", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert post_login(client, "other@example.com", "anything at all").status_code == 401


def test_signing_in_forgets_the_accounts_failures_but_not_the_address(monkeypatch, client, user):
    monkeypatch.setattr(throttle, "MAX_FAILURES_PER_ACCOUNT", 2)
    monkeypatch.setattr(throttle, "MAX_FAILURES_PER_ADDRESS", 3)
    for _ in range(2):
        assert post_login(client, "ada@example.com", "wrong password").status_code == 401
        assert post_login(client, "ada@example.com", PASSWORD).status_code == 303
    # Two failures from this address so far; signing in to one's own account must not wipe them.
    assert post_login(client, "grace@example.com", "a guess").status_code == 401
    assert post_login(client, "grace@example.com", "another guess").status_code == 429
