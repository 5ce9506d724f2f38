"""Token introspection (RFC 7662): resource servers only; inactive for anything no longer usable."""

from __future__ import annotations

import time
from datetime import timedelta

import requests
from sqlalchemy import update

from authserver.accounts.services import disable_user
from authserver.clients.services import disable_client
from authserver.clients.services import set_limits
from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.tokens.models import Token
from tests.support.oauth import introspect
from tests.support.oauth import token_request


def test_active_token_has_every_member_and_email_only_when_consented(live_auth):
    client = live_auth.client()
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    user = live_auth.user()
    tokens = live_auth.user_tokens(client, user, scope="openid email")
    before = int(time.time())
    info = introspect(live_auth, resource, tokens["access_token"]).json()
    assert info["active"] is True
    assert info["scope"] == "openid email"
    assert info["client_id"] == client.client_id
    assert "aud" not in info  # no resource asked for and no default: no audience (RFC 8707)
    assert info["sub"] == user.sub
    assert info["iss"] == live_auth.url
    assert info["token_type"] == "Bearer"
    assert before - 5 <= info["iat"] <= before + 1
    assert info["exp"] == info["iat"] + 3600
    assert info["username"] == info["email"] == user.email
    without_email = live_auth.user_tokens(client, user, scope="openid")
    info = introspect(live_auth, resource, without_email["access_token"]).json()
    assert info["active"] is True and "email" not in info and "username" not in info


def test_clients_that_are_not_resource_servers_are_refused_even_for_their_own_tokens(live_auth):
    client = live_auth.client()
    tokens = live_auth.user_tokens(client, scope="openid email")
    response = requests.post(
        live_auth.url + "/oauth/introspect",
        data={"token": tokens["access_token"]},
        auth=(client.client_id, client.client_secret),
        timeout=5,
    )
    assert response.status_code == 403
    assert response.json()["error"] == "unauthorized_client"
    assert "active" not in response.json()


def test_bad_credentials_are_401(live_auth):
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    response = requests.post(
        live_auth.url + "/oauth/introspect", data={"token": "x"}, auth=(resource.client_id, "no"), timeout=5
    )
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Basic")


def test_unknown_revoked_and_disabled_are_inactive(live_auth):
    client = live_auth.client()
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    user = live_auth.user()
    assert introspect(live_auth, resource, "unknown").json() == {"active": False}
    tokens = live_auth.user_tokens(client, user, scope="openid email")
    live_auth.run(disable_user, user.email)
    assert introspect(live_auth, resource, tokens["access_token"]).json() == {"active": False}
    other_user = live_auth.user()
    tokens = live_auth.user_tokens(client, other_user, scope="openid email")
    assert introspect(live_auth, resource, tokens["access_token"]).json()["active"] is True
    live_auth.run(disable_client, client.client_id)
    assert introspect(live_auth, resource, tokens["access_token"]).json() == {"active": False}
    assert introspect(live_auth, resource, tokens["refresh_token"]).json() == {"active": False}


def test_expired_access_token_is_inactive(live_auth):
    client = live_auth.client(redirect_uri=None)
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    token = token_request(live_auth, client, {"grant_type": "client_credentials"}).json()["access_token"]

    def expire():
        db_session().execute(update(Token).values(access_expires_at=utcnow() - timedelta(seconds=1)))
        db_session().commit()

    live_auth.run(expire)
    assert introspect(live_auth, resource, token).json() == {"active": False}


def test_a_clients_own_limits_are_published_for_resource_servers(live_auth):
    partner = live_auth.client(redirect_uri=None, scope="openid")
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    token = token_request(live_auth, partner, {"grant_type": "client_credentials"}).json()["access_token"]
    info = introspect(live_auth, resource, token).json()
    assert "rate_limit_per_minute" not in info and "tokens_per_day" not in info
    live_auth.run(set_limits, partner.client_id, 30, 0)
    info = introspect(live_auth, resource, token).json()
    assert info["rate_limit_per_minute"] == 30 and info["tokens_per_day"] == 0
