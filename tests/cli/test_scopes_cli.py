import pytest

from tests.support.cli import assert_refused_without_change


def test_add_list_remove(cli):
    cli.ok("scopes", "add", "chat:create", "--description", "Chat with models")
    cli.ok("scopes", "add", "admin:all", "--description", "Everything", "--restricted")
    listed = {row["name"]: row for row in cli.ok("scopes", "list", "--json").json}
    assert listed["chat:create"] == {"name": "chat:create", "description": "Chat with models", "restricted": False}
    assert listed["admin:all"]["restricted"] is True
    assert {"openid", "profile", "email", "offline_access"} <= set(listed)
    cli.ok("scopes", "remove", "chat:create")
    assert "chat:create" not in {row["name"] for row in cli.ok("scopes", "list", "--json").json}


def test_removing_a_scope_takes_it_from_clients(cli):
    cli.ok("scopes", "add", "chat:create", "--description", "Chat")
    client = cli.ok("clients", "add", "--name", "svc", "--scope", "chat:create openid", "--json").json
    cli.ok("scopes", "remove", "chat:create")
    assert cli.ok("clients", "show", client["client_id"], "--json").json["scope"] == "openid"


@pytest.mark.parametrize(
    "args, message",
    [
        (("scopes", "add", "openid", "--description", "again"), "already exists"),
        (("scopes", "add", "has space", "--description", "x"), "invalid scope name"),
        (("scopes", "add", 'quote"d', "--description", "x"), "invalid scope name"),
        (("scopes", "add", "newline\n", "--description", "x"), "invalid scope name"),
        (("scopes", "add", "blank", "--description", "  "), "needs a description"),
        (("scopes", "add", "long", "--description", "x" * 501), "longer than 500"),
        (("scopes", "add", "nodesc"), "Missing option"),
        (("scopes", "remove", "nope"), "no scope named"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(cli, args, message):
    assert_refused_without_change(cli, ("scopes", "list", "--json"), args, message)
