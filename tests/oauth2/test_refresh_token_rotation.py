"""Refresh tokens rotate on every use; a rotated one presented again revokes its family (RFC 9700 §4.14.2)."""

from __future__ import annotations

import threading
from datetime import timedelta

import requests
from requests_oauthlib import OAuth2Session
from sqlalchemy import update

from authserver.accounts.services import disable_user
from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.tokens.models import Token
from tests.support.oauth import introspect
from tests.support.oauth import refresh


def test_each_refresh_returns_a_new_refresh_token_in_the_same_family(live_auth, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the live server is plain http on loopback
    client = live_auth.client()
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    first = live_auth.user_tokens(client, scope="openid email")
    # requests-oauthlib, an independent client library, does the refresh.
    session = OAuth2Session(client.client_id, token=first)
    second = session.refresh_token(live_auth.token_endpoint, auth=(client.client_id, client.client_secret))
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == ["openid", "email"]
    assert introspect(live_auth, resource, first["refresh_token"]).json() == {"active": False}
    assert introspect(live_auth, resource, second["refresh_token"]).json()["active"] is True
    # The earlier access token lives on until it expires or the family is revoked.
    assert introspect(live_auth, resource, first["access_token"]).json()["active"] is True


def test_refresh_may_narrow_the_scope_but_never_widen_it(live_auth):
    client = live_auth.client()
    first = live_auth.user_tokens(client, scope="openid email")
    response = requests.post(
        live_auth.token_endpoint,
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "scope": "openid profile"},
        auth=(client.client_id, client.client_secret),
        timeout=5,
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"
    response = requests.post(
        live_auth.token_endpoint,
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "scope": "email"},
        auth=(client.client_id, client.client_secret),
        timeout=5,
    )
    assert response.status_code == 200 and response.json()["scope"] == "email"


def test_rfc9700_reuse_of_a_rotated_refresh_token_revokes_the_whole_family(live_auth):
    client = live_auth.client(auth_method="none")
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    first = live_auth.user_tokens(client, scope="openid email")
    second = refresh(live_auth, client, first["refresh_token"]).json()
    third = refresh(live_auth, client, second["refresh_token"]).json()
    replay = refresh(live_auth, client, first["refresh_token"])
    assert replay.status_code == 400 and replay.json() == {
        "error": "invalid_grant",
        "error_description": "a rotated refresh token was presented again; the token family is now revoked "
        "(sign the user in again)",
    }
    for token in (first["access_token"], second["access_token"], third["access_token"], third["refresh_token"]):
        assert introspect(live_auth, resource, token).json() == {"active": False}
    assert refresh(live_auth, client, third["refresh_token"]).json() == {
        "error": "invalid_grant",
        "error_description": "the refresh token was revoked",
    }


def test_refresh_token_is_bound_to_its_client(live_auth):
    client = live_auth.client()
    other = live_auth.client()
    first = live_auth.user_tokens(client, scope="openid email")
    assert refresh(live_auth, other, first["refresh_token"]).json() == {
        "error": "invalid_grant",
        "error_description": "the refresh token was issued to another client",
    }
    assert refresh(live_auth, client, first["refresh_token"]).status_code == 200


def test_client_without_the_refresh_grant_gets_no_refresh_token(live_auth):
    client = live_auth.client(grant_types=["authorization_code"])
    assert "refresh_token" not in live_auth.user_tokens(client, scope="openid email")


def test_rfc9700_two_concurrent_refreshes_have_exactly_one_winner(live_auth):
    """Real threads over HTTP, on SQLite and PostgreSQL: the rotation is one conditional UPDATE."""
    client = live_auth.client()
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    for _round in range(3):
        first = live_auth.user_tokens(client, scope="openid email")
        barrier = threading.Barrier(4)
        results = []

        def use():
            barrier.wait()
            results.append(refresh(live_auth, client, first["refresh_token"]))

        threads = [threading.Thread(target=use) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        statuses = sorted(response.status_code for response in results)
        assert statuses == [200, 400, 400, 400], [r.text for r in results]
        assert all(r.json()["error"] == "invalid_grant" for r in results if r.status_code == 400)
        assert all(
            "the token family is now revoked" in r.json()["error_description"] for r in results if r.status_code == 400
        )
        # The losers look like a replay, so the family, the winner's new tokens included, is revoked.
        winner = next(r.json() for r in results if r.status_code == 200)
        assert introspect(live_auth, resource, winner["refresh_token"]).json() == {"active": False}


def test_a_disabled_user_cannot_refresh(live_auth):
    client = live_auth.client()
    user = live_auth.user()
    tokens = live_auth.user_tokens(client, user)
    live_auth.run(disable_user, user.email)
    assert refresh(live_auth, client, tokens["refresh_token"]).json() == {
        "error": "invalid_grant",
        "error_description": "the user's account is disabled",
    }


def test_expired_or_unknown_refresh_token_says_so(live_auth):
    client = live_auth.client()
    tokens = live_auth.user_tokens(client)

    def expire():
        db_session().execute(update(Token).values(refresh_expires_at=utcnow() - timedelta(seconds=1)))
        db_session().commit()

    live_auth.run(expire)
    assert refresh(live_auth, client, tokens["refresh_token"]).json() == {
        "error": "invalid_grant",
        "error_description": "the refresh token expired",
    }
    assert refresh(live_auth, client, "no-such-token").json() == {
        "error": "invalid_grant",
        "error_description": "unknown refresh token",
    }
