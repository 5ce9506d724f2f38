"""The audit trail records every event people and admins rely on, and never a token or a secret."""

from __future__ import annotations

import json

import requests
from sqlalchemy import select

from authserver.audit.models import AuditEvent
from authserver.clients import services as clients
from authserver.clients.rotation import rotate_secret
from authserver.extensions import db_session
from tests.support.accounts import csrf_token
from tests.support.oauth import exchange_code
from tests.support.oauth import refresh


def _all_events(live) -> list[dict]:
    def read():
        return [
            {
                "event": row.event,
                "client_id": row.client_id,
                "user_id": row.user_id,
                "ip": row.ip,
                "details": row.details,
            }
            for row in db_session().scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]

    return live.run(read)


def test_the_trail_names_every_event_and_holds_no_token_or_secret(live_auth):
    issued: list[str] = []
    client = live_auth.client(scope="openid email")
    issued.append(client.client_secret)
    user = live_auth.user()
    issued.append(user.password)

    browser = live_auth.browser()
    wrong = browser.http.post(
        live_auth.url + "/login",
        timeout=10,
        data={
            "email": user.email,
            "password": "not-the-password-x1",
            "csrf_token": csrf_token(browser.http.get(live_auth.url + "/login", timeout=10).text),
        },
    )
    assert wrong.status_code == 401
    issued.append("not-the-password-x1")
    browser.login(user)
    code, verifier = browser.authorization_code(client, scope="openid email")
    issued += [code, verifier]
    first = exchange_code(live_auth, client, code, verifier).json()
    issued += [first["access_token"], first["refresh_token"], first["id_token"]]
    second = refresh(live_auth, client, first["refresh_token"]).json()
    issued += [second["access_token"], second["refresh_token"]]
    assert refresh(live_auth, client, first["refresh_token"]).status_code == 400  # reuse: the family goes

    other = live_auth.user_tokens(client, scope="openid")
    issued += [other["access_token"], other["refresh_token"]]
    revoked = requests.post(
        live_auth.url + "/oauth/revoke",
        data={"token": other["access_token"]},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )
    assert revoked.status_code == 200

    apps = browser.http.get(live_auth.url + "/account/apps", timeout=10)
    browser.http.post(
        live_auth.url + f"/account/apps/{client.client_id}/revoke",
        data={"csrf_token": csrf_token(apps.text)},
        timeout=10,
    )
    rotated = live_auth.run(lambda: rotate_secret(clients.get_client(client.client_id)).client_secret)
    issued.append(rotated)
    live_auth.run(clients.disable_client, client.client_id)

    events = _all_events(live_auth)
    names = {event["event"] for event in events}
    assert {
        "client.added",
        "login.failed",
        "login.succeeded",
        "consent.granted",
        "token.issued",
        "token.refreshed",
        "token.reuse_detected",
        "tokens.family_revoked",
        "token.revoked",
        "consent.revoked",
        "client.secret_rotated",
        "client.disabled",
    } <= names, names
    refreshed = [event for event in events if event["event"] == "token.refreshed"]
    assert refreshed[0]["client_id"] == client.client_id and refreshed[0]["user_id"] == user.id
    trail = json.dumps(events)
    leaked = [value for value in issued if value and value in trail]
    assert leaked == []
