"""RFC 7591 §3 initial access tokens: made at the CLI, shown once, stored as digests, checked for
expiry and uses in the statement that counts the use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import update

from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.registration.models import InitialAccessToken
from shared.security import digest
from tests.registration.conftest import CALLBACK

METADATA = {"redirect_uris": [CALLBACK], "client_name": "Notes"}


def _refused(response, description: str) -> None:
    assert response.status_code == 401
    assert response.json["error"] == "invalid_token"
    assert description in response.json["error_description"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_cli_prints_a_token_stored_only_as_its_digest(cli, auth_app):
    printed = cli.ok("registration-token", "create", "--expires-in", "3600", "--max-uses", "2", "--json").json
    assert len(printed["token"]) >= 43 and printed["max_uses"] == 2 and printed["expires_at"]
    with auth_app.app_context():
        row = db_session().scalar(select(InitialAccessToken))
        assert row.token_digest == digest(printed["token"])
        assert printed["token"] not in (row.token_digest, str(row.max_uses))


@pytest.mark.parametrize(
    "args, message",
    [
        (("--expires-in", "0"), "--expires-in"),
        (("--expires-in", "-5"), "--expires-in"),
        (("--max-uses", "0"), "--max-uses"),
        (("--max-uses", "many"), "many"),
    ],
)
def test_cli_refuses_bad_limits_in_one_line(cli, args, message):
    result = cli("registration-token", "create", *args, "--json")
    assert result.code != 0 and message in result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err


def test_without_a_token_registration_is_refused_by_default(registrar):
    before = registrar.client_count()
    _refused(registrar.register(METADATA), "initial access token is required")
    assert registrar.client_count() == before


def test_a_wrong_token_is_refused(registrar):
    registrar.token()
    _refused(registrar.register(METADATA, "not-the-token"), "not valid")


def test_a_token_in_another_scheme_is_refused(registrar):
    token = registrar.token()
    response = registrar.http.post("/oauth/register", json=METADATA, headers={"Authorization": f"Basic {token}"})
    _refused(response, "Bearer")


def test_an_expired_token_is_refused(registrar):
    token = registrar.token(expires_in=60)
    with registrar.app.app_context():
        db_session().execute(update(InitialAccessToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db_session().commit()
    _refused(registrar.register(METADATA, token), "expired")


def test_a_token_is_used_up_after_its_uses(registrar):
    token = registrar.token(max_uses=2)
    assert registrar.register(METADATA, token).status_code == 201
    assert registrar.register(METADATA, token).status_code == 201
    before = registrar.client_count()
    _refused(registrar.register(METADATA, token), "used up")
    assert registrar.client_count() == before


def test_a_refused_registration_does_not_use_the_token_up(registrar):
    token = registrar.token(max_uses=1)
    assert registrar.register({"redirect_uris": ["http://app.example/cb"]}, token).status_code == 400
    assert registrar.register(METADATA, token).status_code == 201


def test_a_token_without_limits_registers_any_number(registrar):
    token = registrar.token()
    for _ in range(3):
        assert registrar.register(METADATA, token).status_code == 201
