"""`manage.py keys rotate|list`: a new active key; the retired one stays published while its id_tokens live."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from sqlalchemy import select

from authserver.extensions import db_session
from authserver.tokens import keys
from authserver.tokens.models import SigningKey


def test_rotate_adds_an_active_key_and_keeps_the_old_one_published(cli, auth_app):
    assert cli.ok("keys", "list", "--json").json == []
    first = cli.ok("keys", "rotate", "--json").json
    assert first["alg"] == "RS256" and first["active"] is True
    second = cli.ok("keys", "rotate", "--alg", "ES256", "--json").json
    assert second["alg"] == "ES256"
    listed = {row["kid"]: row for row in cli.ok("keys", "list", "--json").json}
    assert listed[second["kid"]]["active"] is True
    old = listed[first["kid"]]
    assert old["active"] is False and old["published"] is True
    until = datetime.fromisoformat(old["publish_until"]) - datetime.fromisoformat(old["retired_at"])
    assert timedelta(hours=1) <= until <= timedelta(hours=1, minutes=10)
    with auth_app.app_context():
        published = {key["kid"] for key in keys.public_jwks()["keys"]}
        assert published == {first["kid"], second["kid"]}
        assert keys.active_key().kid == second["kid"]
        assert keys.active_key().alg == "ES256"
    assert "new active key" in cli.ok("keys", "rotate").out


def test_private_keys_are_sealed_and_never_published(cli, auth_app):
    cli.ok("keys", "rotate")
    with auth_app.app_context():
        row = db_session().scalar(select(SigningKey))
        assert '"d"' not in row.private_jwk_sealed and "d" not in row.public_jwk
        assert all("d" not in key for key in keys.public_jwks()["keys"])


def test_retired_keys_past_their_publication_leave_the_jwks(cli, auth_app):
    first = cli.ok("keys", "rotate", "--json").json
    cli.ok("keys", "rotate", "--json")
    with auth_app.app_context():
        row = db_session().scalar(select(SigningKey).where(SigningKey.kid == first["kid"]))
        row.publish_until = row.retired_at - timedelta(seconds=1)
        db_session().commit()
        assert first["kid"] not in {key["kid"] for key in keys.public_jwks()["keys"]}


def test_unknown_algorithm_is_a_one_line_error(cli):
    result = cli("keys", "rotate", "--alg", "HS256")
    assert result.code != 0 and result.err.count("\n") == 1
    assert cli.ok("keys", "list", "--json").json == []
