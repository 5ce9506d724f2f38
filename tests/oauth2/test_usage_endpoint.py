"""``POST /internal/usage``: only resource servers may report; a bad batch is refused whole."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func
from sqlalchemy import select

from authserver.clients.services import disable_client
from authserver.clients.services import register_client
from authserver.extensions import db_session
from authserver.usage.models import UsageRecord
from authserver.usage.visibility import saw_token
from tests.support.oauth import introspect

RECORD = {
    "at": "2026-01-02T03:04:05+00:00",
    "client_id": "app-1",
    "user_sub": "alice",
    "endpoint": "chat.completions",
    "model": "demo-chat",
    "tokens_in": 3,
    "tokens_out": 5,
}


@pytest.fixture
def clients(auth_app):
    with auth_app.app_context():
        resource = register_client(name="RS", resource_server=True)
        plain = register_client(name="App")
        # What introspecting tokens of app-1 (alice's, and its own) would have marked.
        for sub in ("alice", None):
            saw_token(resource.client.id, RECORD["client_id"], sub)
        return {
            "resource": (resource.client.client_id, resource.client_secret),
            "plain": (plain.client.client_id, plain.client_secret),
        }


def stored(auth_app) -> int:
    with auth_app.app_context():
        return db_session().scalar(select(func.count(UsageRecord.id)))


def post(auth_app, auth, body):
    return auth_app.test_client().post("/internal/usage", json=body, auth=auth)


def test_a_resource_server_reports_usage(auth_app, clients):
    response = post(auth_app, clients["resource"], {"records": [RECORD, {**RECORD, "user_sub": None, "requests": 40}]})
    assert response.status_code == 202 and response.json == {"stored": 2}
    with auth_app.app_context():
        first, second = db_session().scalars(select(UsageRecord).order_by(UsageRecord.id)).all()
        assert (first.client_id, first.user_sub, first.tokens_in, first.tokens_out) == ("app-1", "alice", 3, 5)
        assert first.at.isoformat() == "2026-01-02T03:04:05+00:00"
        # A record without a count stands for one call; a resource server's sums say how many.
        assert (first.requests, second.requests) == (1, 40)


def test_only_enabled_resource_servers_with_the_right_secret_may_report(auth_app, clients):
    resource_id, secret = clients["resource"]
    for auth in (None, clients["plain"], (resource_id, "wrong"), (resource_id, ""), (resource_id + "\x00", secret)):
        response = post(auth_app, auth, {"records": [RECORD]})
        assert response.status_code == 401 and response.json["error"] == "invalid_client"
    with auth_app.app_context():
        disabled = register_client(name="Old RS", resource_server=True)
        disable_client(disabled.client.client_id)
    assert post(auth_app, (disabled.client.client_id, disabled.client_secret), {"records": [RECORD]}).status_code == 401
    assert stored(auth_app) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"records": "nope"},
        {"records": [RECORD, {**RECORD, "tokens_in": -1}]},
        {"records": [RECORD, {**RECORD, "requests": 0}]},
        {"records": [RECORD, {**RECORD, "requests": True}]},
        {"records": [RECORD, {**RECORD, "requests": "3"}]},
        {"records": [RECORD, {**RECORD, "requests": 2**31}]},
        {"records": [RECORD, {**RECORD, "client_id": ""}]},
        {"records": [RECORD, {**RECORD, "at": "yesterday"}]},
        {"records": [RECORD, {**RECORD, "at": "9999-12-31T23:59:59-14:00"}]},
        {"records": [RECORD, {**RECORD, "user_sub": "a\x00b"}]},
        {"records": [RECORD, {**RECORD, "model": "\ud800"}]},
        {"records": [RECORD, {**RECORD, "id": 7}]},
        {"records": [RECORD, {**RECORD, "id": "x" * 65}]},
        {"records": [RECORD] * 1001},
        [],
    ],
)
def test_a_bad_batch_is_refused_whole(auth_app, clients, body):
    response = post(auth_app, clients["resource"], body)
    assert response.status_code == 400 and response.json["error"] == "invalid_request"
    assert stored(auth_app) == 0


def test_a_batch_delivered_again_is_stored_once(auth_app, clients):
    # The resource server sends a batch again when it got no answer, which the first delivery may
    # have had stored: each record's id makes the second one add nothing.
    batch = {"records": [{**RECORD, "id": "r-1", "requests": 4}, {**RECORD, "id": "r-2", "user_sub": None}]}
    assert post(auth_app, clients["resource"], batch).json == {"stored": 2}
    again = {"records": [*batch["records"], {**RECORD, "id": "r-3"}, {**RECORD, "id": "r-3"}]}
    assert post(auth_app, clients["resource"], again).json == {"stored": 1}
    with auth_app.app_context():
        rows = db_session().execute(select(UsageRecord.record_id, UsageRecord.requests).order_by(UsageRecord.id)).all()
    assert [tuple(row) for row in rows] == [("r-1", 4), ("r-2", 1), ("r-3", 1)]


def test_records_without_an_id_are_each_stored(auth_app, clients):
    # What a resource server from before record ids sends: nothing to tell a repeat from new calls.
    for _ in range(2):
        assert post(auth_app, clients["resource"], {"records": [RECORD, RECORD]}).json == {"stored": 2}
    assert stored(auth_app) == 4


def test_a_body_nested_too_deep_to_parse_is_refused(auth_app, clients):
    response = auth_app.test_client().post(
        "/internal/usage", data="[" * 100_000 + "]" * 100_000, content_type="application/json", auth=clients["resource"]
    )
    assert response.status_code == 400 and response.json["error"] == "invalid_request"


def test_a_resource_server_reports_only_usage_of_tokens_it_introspected(live_auth):
    """A resource server may not bill, or hide usage behind, a client or person it never served."""
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    other_resource = live_auth.client(redirect_uri=None, resource_server=True)
    app = live_auth.client(redirect_uri=None)
    token = requests.post(
        live_auth.token_endpoint,
        data={"grant_type": "client_credentials"},
        auth=(app.client_id, app.client_secret),
        timeout=10,
    ).json()["access_token"]
    record = {**RECORD, "client_id": app.client_id, "user_sub": None}

    def report(reporter, records):
        return requests.post(
            live_auth.url + "/internal/usage",
            json={"records": records},
            timeout=10,
            auth=(reporter.client_id, reporter.client_secret),
        )

    refused = report(resource, [record])
    assert refused.status_code == 403 and refused.json()["error"] == "unauthorized_client"
    assert introspect(live_auth, resource, token).json()["active"] is True
    assert report(resource, [record]).status_code == 202
    # Seeing the client's own token is not seeing a person's, nor another resource server's view.
    assert report(resource, [record, {**record, "user_sub": "alice"}]).status_code == 403
    assert report(other_resource, [record]).status_code == 403
    assert live_auth.run(lambda: db_session().scalar(select(func.count(UsageRecord.id)))) == 1
