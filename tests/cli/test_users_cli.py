import pytest

from authserver.accounts.passwords import verify_password
from tests.support.cli import assert_refused_without_change


def test_add_prints_id_email_and_a_stable_sub(cli, auth_app):
    user = cli.ok(
        "users", "add", "--email", "Ada@Example.com", "--password-stdin", "--json", input="correct horse battery\n"
    ).json
    assert user["email"] == "ada@example.com"
    assert isinstance(user["id"], int) and user["sub"]
    listed = cli.ok("users", "list", "--json").json
    assert [(row["email"], row["sub"]) for row in listed] == [("ada@example.com", user["sub"])]
    from authserver.extensions import db_session
    from authserver.models import User

    with auth_app.app_context():
        stored = db_session().get(User, user["id"])
        assert stored.password_hash.startswith("$argon2id$")
        assert verify_password(stored.password_hash, "correct horse battery")


def test_disable(cli):
    cli.ok("users", "add", "--email", "a@example.com", "--password-stdin", input="long enough pw\n")
    cli.ok("users", "disable", "A@example.com")
    assert cli.ok("users", "list", "--json").json[0]["disabled"] is True


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (("users", "add", "--email", "not-an-email", "--password-stdin"), "long enough pw\n", "invalid email"),
        (("users", "add", "--email", "a@b", "--password-stdin"), "long enough pw\n", "invalid email"),
        (("users", "add", "--email", "x@example.com", "--password-stdin"), "\n", "no password"),
        (("users", "add", "--email", "x@example.com", "--password-stdin"), "", "no password"),
        (("users", "add", "--email", "x@example.com", "--password-stdin"), "short\n", "at least 8"),
        (("users", "add", "--email", "x@example.com"), "", "--password-stdin"),
        (("users", "add", "--email", "taken@example.com", "--password-stdin"), "long enough pw\n", "already exists"),
        (("users", "disable", "nobody@example.com"), "", "no user"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(cli, args, stdin, message):
    cli.ok("users", "add", "--email", "taken@example.com", "--password-stdin", input="long enough pw\n")
    assert_refused_without_change(cli, ("users", "list", "--json"), args, message, input=stdin)
