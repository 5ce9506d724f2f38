"""`clients approve-scope` / `revoke-scope`, and `clients list` naming who registered each app and how."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from authserver.clients.metadata import validate_client_metadata
from authserver.clients.services import create_client
from authserver.extensions import db_session
from authserver.scopes.models import ScopeApproval
from tests.support.cli import assert_refused_without_change


@pytest.fixture
def portal_app(cli, auth_app) -> str:
    cli.ok("scopes", "add", "admin:all", "--description", "Everything", "--restricted")
    cli.ok("scopes", "add", "chat:create", "--description", "Chat")
    user = cli.ok(
        "users", "add", "--email", "dev@example.com", "--password-stdin", "--json", input="a long enough password\n"
    ).json
    with auth_app.app_context():
        metadata = validate_client_metadata(
            {"client_name": "Dev app", "app_type": "service", "scope": "chat:create admin:all"}
        )
        return create_client(metadata, registered_via="portal", owner_id=user["id"]).client.client_id


def approvals(auth_app) -> int:
    with auth_app.app_context():
        return len(db_session().scalars(select(ScopeApproval)).all())


def test_approve_and_revoke_a_restricted_scope(cli, auth_app, portal_app):
    assert cli.ok("clients", "approve-scope", portal_app, "admin:all").code == 0
    assert approvals(auth_app) == 1
    cli.ok("clients", "approve-scope", portal_app, "admin:all")  # again: still one approval
    assert approvals(auth_app) == 1
    cli.ok("clients", "revoke-scope", portal_app, "admin:all")
    assert approvals(auth_app) == 0
    assert "admin:all" in cli.ok("clients", "show", portal_app, "--json").json["scope"].split()


@pytest.mark.parametrize("verb", ["approve-scope", "revoke-scope"])
@pytest.mark.parametrize(
    "client, scope, message",
    [
        ("no-such-client", "admin:all", "no client with id"),
        (None, "no:such", "no scope named"),
        (None, "chat:create", "is not restricted"),
    ],
)
def test_unknown_ids_and_scopes_are_one_line_errors(cli, portal_app, verb, client, scope, message):
    assert_refused_without_change(
        cli, ("clients", "show", portal_app, "--json"), ("clients", verb, client or portal_app, scope), message
    )


def test_list_shows_who_registered_each_app_and_how(cli, portal_app):
    admin_app = cli.ok("clients", "add", "--name", "Admin app", "--scope", "admin:all", "--json").json
    rows = {row["client_id"]: row for row in cli.ok("clients", "list", "--json").json}
    assert (rows[portal_app]["registered_via"], rows[portal_app]["owner_email"]) == ("portal", "dev@example.com")
    assert (rows[admin_app["client_id"]]["registered_via"], rows[admin_app["client_id"]]["owner_email"]) == (
        "cli",
        None,
    )
    text = cli.ok("clients", "list").out
    assert "portal" in text and "dev@example.com" in text
    cli.ok("clients", "disable", portal_app)
    assert cli.ok("clients", "show", portal_app, "--json").json["disabled"] is True
