"""Sign-out, and OpenID Connect RP-Initiated Logout 1.0 at the end_session_endpoint (GET /logout)."""

import time
import uuid
from urllib.parse import urlencode

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from authserver.clients.services import register_client
from authserver.extensions import db_session
from authserver.tokens.models import SigningKey
from tests.accounts.conftest import PASSWORD
from tests.support.accounts import csrf_token

BYE = "https://app.example/signed-out"


@pytest.fixture
def signed_in(client, user):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    return client


@pytest.fixture
def app_client(auth_app):
    with auth_app.app_context():
        return register_client(
            name="Notes", redirect_uris=["https://app.example/cb"], post_logout_redirect_uris=[BYE]
        ).client


@pytest.fixture(scope="module")
def our_key():
    return RSAKey.generate_key(2048, parameters={"kid": "k1"})


@pytest.fixture
def published_key(auth_app, our_key):
    with auth_app.app_context():
        public = our_key.as_dict(private=False)
        db_session().add(SigningKey(kid="k1", alg="RS256", private_jwk_sealed="-", public_jwk=public))
        db_session().commit()
    return our_key


def id_token(key, aud, issuer, **claims):
    now = int(time.time())
    payload = {"iss": issuer, "sub": "someone", "aud": aud, "iat": now, "exp": now + 60, **claims}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, payload, key)


def sign_out(client, **params):
    """Open the end-session URL, confirm on the page it shows, return the final answer."""
    page = client.get("/logout?" + urlencode(params))
    assert page.status_code == 200 and "Sign out?" in page.get_data(as_text=True)
    form = {name: value for name, value in params.items()}
    form["csrf_token"] = csrf_token(page.get_data(as_text=True))
    return client.post("/logout", data=form)


def is_signed_in(client):
    return client.get("/account/apps").status_code == 200


def test_post_logout_clears_the_session(signed_in):
    response = sign_out(signed_in)
    assert response.status_code == 200
    assert "You are signed out" in response.get_data(as_text=True)
    assert not is_signed_in(signed_in)
    with signed_in.session_transaction() as session:
        assert dict(session) == {}


def test_post_without_our_csrf_token_asks_instead_of_signing_out(signed_in, app_client):
    """An RP may POST its logout request (RP-Initiated Logout §2); a forged POST signs nobody out."""
    response = signed_in.post(
        "/logout", data={"client_id": app_client.client_id, "state": "s2", "csrf_token": "forged"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Sign out?" in html
    assert f'value="{app_client.client_id}"' in html and 'value="s2"' in html
    assert is_signed_in(signed_in)


def test_rp_posted_logout_request_redirects_after_confirmation(signed_in, app_client):
    params = {"client_id": app_client.client_id, "post_logout_redirect_uri": BYE, "state": "s3"}
    page = signed_in.post("/logout", data=params)
    response = signed_in.post("/logout", data={**params, "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 303 and response.headers["Location"] == BYE + "?state=s3"
    assert not is_signed_in(signed_in)


def test_get_logout_asks_first_and_keeps_the_parameters(signed_in, app_client):
    page = signed_in.get("/logout?" + urlencode({"client_id": app_client.client_id, "state": "s1"}))
    html = page.get_data(as_text=True)
    assert is_signed_in(signed_in)
    assert f'value="{app_client.client_id}"' in html and 'value="s1"' in html


def test_registered_uri_with_client_id_redirects_with_state(signed_in, app_client):
    response = sign_out(signed_in, client_id=app_client.client_id, post_logout_redirect_uri=BYE, state="a b&c")
    assert response.status_code == 303
    assert response.headers["Location"] == BYE + "?state=a+b%26c"
    assert not is_signed_in(signed_in)


def test_id_token_hint_alone_names_the_client(auth_app, signed_in, app_client, published_key):
    hint = id_token(published_key, app_client.client_id, auth_app.extensions["authserver.config"].issuer)
    response = sign_out(signed_in, id_token_hint=hint, post_logout_redirect_uri=BYE)
    assert response.headers["Location"] == BYE


def test_an_expired_id_token_hint_is_still_accepted(auth_app, signed_in, app_client, published_key):
    issuer = auth_app.extensions["authserver.config"].issuer
    hint = id_token(published_key, app_client.client_id, issuer, exp=int(time.time()) - 3600)
    response = sign_out(signed_in, id_token_hint=hint, client_id=app_client.client_id, post_logout_redirect_uri=BYE)
    assert response.headers["Location"] == BYE


@pytest.fixture(scope="module")
def stranger_key():
    return RSAKey.generate_key(2048, parameters={"kid": "k1"})


def refused_cases(auth_app, app_client, our_key, stranger):
    issuer = auth_app.extensions["authserver.config"].issuer
    with auth_app.app_context():
        other = register_client(name="Other", redirect_uris=["https://other.example/cb"]).client
    return {
        "unregistered uri": dict(client_id=app_client.client_id, post_logout_redirect_uri="https://evil.example/"),
        "uri of another client": dict(client_id=other.client_id, post_logout_redirect_uri=BYE),
        "no client named": dict(post_logout_redirect_uri=BYE),
        "unknown client": dict(client_id="nope", post_logout_redirect_uri=BYE),
        "forged hint": dict(
            id_token_hint=id_token(stranger, app_client.client_id, issuer), post_logout_redirect_uri=BYE
        ),
        "hint from another issuer": dict(
            id_token_hint=id_token(our_key, app_client.client_id, "https://elsewhere.example"),
            post_logout_redirect_uri=BYE,
        ),
        "hint for another client": dict(
            id_token_hint=id_token(our_key, other.client_id, issuer),
            client_id=app_client.client_id,
            post_logout_redirect_uri=BYE,
        ),
        "garbage hint": dict(id_token_hint="not.a.jwt", client_id=app_client.client_id, post_logout_redirect_uri=BYE),
    }


def test_anything_but_a_registered_uri_of_the_named_client_shows_the_signed_out_page(
    auth_app, client, user, app_client, published_key, stranger_key
):
    for case, params in refused_cases(auth_app, app_client, published_key, stranger_key).items():
        with client.session_transaction() as session:
            session.update(uid=user.id, sid=uuid.uuid4().hex)
        response = sign_out(client, **params)
        assert response.status_code == 200, case
        assert "You are signed out" in response.get_data(as_text=True), case
        assert not is_signed_in(client), case


def test_disabled_client_gets_no_redirect(auth_app, signed_in, app_client):
    from authserver.clients.services import disable_client

    with auth_app.app_context():
        disable_client(app_client.client_id)
    response = sign_out(signed_in, client_id=app_client.client_id, post_logout_redirect_uri=BYE)
    assert response.status_code == 200 and "Location" not in response.headers


def test_signed_out_visitor_is_sent_straight_to_the_registered_uri(client, app_client):
    state = uuid.uuid4().hex
    response = client.get(
        "/logout?" + urlencode({"client_id": app_client.client_id, "post_logout_redirect_uri": BYE, "state": state})
    )
    assert response.status_code == 303 and response.headers["Location"] == f"{BYE}?state={state}"


def test_a_copy_of_the_cookie_taken_before_sign_out_signs_nobody_in(auth_app, signed_in):
    stolen = signed_in.get_cookie("authserver_session").value
    sign_out(signed_in)
    thief = auth_app.test_client()
    thief.set_cookie("authserver_session", stolen)
    assert thief.get("/account/apps").status_code == 302


def test_signing_in_again_ends_the_previous_session(auth_app, signed_in, user):
    earlier = signed_in.get_cookie("authserver_session").value
    token = csrf_token(signed_in.get("/login").get_data(as_text=True))
    signed_in.post("/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert is_signed_in(signed_in)
    replay = auth_app.test_client()
    replay.set_cookie("authserver_session", earlier)
    assert replay.get("/account/apps").status_code == 302


def test_a_client_id_no_client_could_have_goes_to_the_signed_out_page(client, app_client):
    # A NUL byte must not reach the query: PostgreSQL refuses it with an error.
    for client_id in ("a\x00b", "x" * 65, "caf\u00e9"):
        response = client.get("/logout?" + urlencode({"client_id": client_id, "post_logout_redirect_uri": BYE}))
        assert response.status_code == 200 and "Location" not in response.headers, client_id
