import pytest
from sqlalchemy import select

from authserver.extensions import db_session
from authserver.federation.models import UpstreamProvider
from authserver.federation.services import SECRET_PURPOSE
from shared.security import SecretBox
from tests.support.cli import assert_refused_without_change

GITHUB = ("upstreams", "add", "--name", "github", "--type", "github", "--client-id", "gh-id", "--client-secret-stdin")


def test_add_list_disable_remove(cli, auth_app, config):
    added = cli.ok(*GITHUB, "--json", input="gh-secret\n").json
    assert added["redirect_uri"] == f"{config.issuer}/login/github/callback"
    assert "gh-secret" not in cli.ok("upstreams", "list", "--json").out
    cli.ok(
        "upstreams",
        "add",
        "--name",
        "corp",
        "--type",
        "oidc",
        "--client-id",
        "c",
        "--client-secret-stdin",
        "--issuer",
        "https://idp.example.com/",
        input="s3cret\n",
    )
    listed = cli.ok("upstreams", "list", "--json").json
    assert [(row["name"], row["type"], row["disabled"]) for row in listed] == [
        ("corp", "oidc", False),
        ("github", "github", False),
    ]
    assert listed[0]["issuer"] == "https://idp.example.com"
    cli.ok("upstreams", "disable", "github")
    assert [row["disabled"] for row in cli.ok("upstreams", "list", "--json").json] == [False, True]
    cli.ok("upstreams", "enable", "github")
    assert [row["disabled"] for row in cli.ok("upstreams", "list", "--json").json] == [False, False]
    cli.ok("upstreams", "remove", "corp")
    assert [row["name"] for row in cli.ok("upstreams", "list", "--json").json] == ["github"]


def test_client_secret_is_sealed_at_rest_and_opens_with_the_server_key(cli, auth_app, config):
    cli.ok(*GITHUB, input="gh-secret\n")
    with auth_app.app_context():
        stored = db_session().scalars(select(UpstreamProvider)).one()
        assert "gh-secret" not in stored.client_secret_sealed
        assert SecretBox(config.secret_key, SECRET_PURPOSE).open(stored.client_secret_sealed) == "gh-secret"


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (
            ("upstreams", "add", "--name", "Bad Name", "--type", "github", "--client-id", "x", "--client-secret-stdin"),
            "s\n",
            "invalid name",
        ),
        (
            ("upstreams", "add", "--name", "link", "--type", "github", "--client-id", "x", "--client-secret-stdin"),
            "s\n",
            "invalid name",
        ),
        (
            ("upstreams", "add", "--name", "x", "--type", "saml", "--client-id", "x", "--client-secret-stdin"),
            "s\n",
            "saml",
        ),
        (("upstreams", "add", "--name", "x", "--type", "github", "--client-id", "x"), "", "--client-secret-stdin"),
        (
            ("upstreams", "add", "--name", "x", "--type", "github", "--client-id", "x", "--client-secret-stdin"),
            "\n",
            "no client secret",
        ),
        (
            ("upstreams", "add", "--name", "x", "--type", "github", "--client-id", " ", "--client-secret-stdin"),
            "s\n",
            "--client-id",
        ),
        (
            ("upstreams", "add", "--name", "x", "--type", "oidc", "--client-id", "x", "--client-secret-stdin"),
            "s\n",
            "needs --issuer",
        ),
        (
            (
                "upstreams",
                "add",
                "--name",
                "x",
                "--type",
                "oidc",
                "--client-id",
                "x",
                "--client-secret-stdin",
                "--issuer",
                "http://idp.example.com",
            ),
            "s\n",
            "https",
        ),
        (
            (
                "upstreams",
                "add",
                "--name",
                "x",
                "--type",
                "github",
                "--client-id",
                "x",
                "--client-secret-stdin",
                "--issuer",
                "https://idp.example.com",
            ),
            "s\n",
            "--issuer is not used",
        ),
        (
            (
                "upstreams",
                "add",
                "--name",
                "x",
                "--type",
                "github",
                "--client-id",
                "x",
                "--client-secret-stdin",
                "--token-url",
                "ftp://x",
            ),
            "s\n",
            "--token-url",
        ),
        (
            (
                "upstreams",
                "add",
                "--name",
                "x",
                "--type",
                "github",
                "--client-id",
                "x",
                "--client-secret-stdin",
                "--userinfo-url",
                "https://h/#frag",
            ),
            "s\n",
            "fragment",
        ),
        (GITHUB, "s\n", "already exists"),
        (("upstreams", "disable", "nope"), "", "no upstream"),
        (("upstreams", "remove", "nope"), "", "no upstream"),
        (("upstreams", "enable", "nope"), "", "no upstream"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(cli, args, stdin, message):
    cli.ok(*GITHUB, input="gh-secret\n")
    assert_refused_without_change(cli, ("upstreams", "list", "--json"), args, message, input=stdin)
