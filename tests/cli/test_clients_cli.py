import pytest
from sqlalchemy import select

from authserver.clients.models import Client
from authserver.extensions import db_session
from shared.security import matches_digest
from tests.support.cli import assert_refused_without_change


def test_confidential_client_gets_a_secret_shown_once_and_stored_hashed(cli, auth_app):
    created = cli.ok("clients", "add", "--name", "Partner", "--json").json
    assert created["grant_types"] == ["client_credentials"]
    assert not created["client_id"].startswith("-")
    secret = created["client_secret"]
    shown = cli.ok("clients", "show", created["client_id"], "--json").json
    assert "client_secret" not in shown
    with auth_app.app_context():
        stored = db_session().scalars(select(Client).where(Client.client_id == created["client_id"])).one()
        assert stored.client_secret_digest != secret
        assert matches_digest(secret, stored.client_secret_digest)


def test_redirect_uri_defaults_grants_to_code_and_refresh(cli):
    created = cli.ok("clients", "add", "--name", "Web", "--redirect-uri", "https://app.example/cb", "--json").json
    assert created["grant_types"] == ["authorization_code", "refresh_token"]
    assert created["response_types"] == ["code"]


def test_public_client_has_no_secret(cli):
    created = cli.ok(
        "clients",
        "add",
        "--name",
        "SPA",
        "--redirect-uri",
        "http://127.0.0.1:8000/cb",
        "--auth-method",
        "none",
        "--json",
    ).json
    assert "client_secret" not in created
    assert created["token_endpoint_auth_method"] == "none"


def test_pkce_is_required_by_default_and_shown(cli):
    created = cli.ok("clients", "add", "--name", "Web", "--redirect-uri", "https://app.example/cb", "--json").json
    assert created["pkce"] == "required"
    legacy = cli.ok(
        "clients", "add", "--name", "Legacy", "--redirect-uri", "https://old.example/cb", "--pkce", "optional", "--json"
    ).json
    assert cli.ok("clients", "show", legacy["client_id"], "--json").json["pkce"] == "optional"
    assert "pkce: optional" in cli.ok("clients", "show", legacy["client_id"]).out
    assert cli.ok("clients", "set-pkce", legacy["client_id"], "required", "--json").json["pkce"] == "required"


def test_list_rotate_and_disable(cli):
    created = cli.ok("clients", "add", "--name", "Partner", "--resource-server", "--json").json
    listed = cli.ok("clients", "list", "--json").json
    assert [(row["client_id"], row["name"]) for row in listed] == [(created["client_id"], "Partner")]
    assert listed[0]["resource_server"] is True
    rotated = cli.ok("clients", "rotate-secret", created["client_id"], "--json").json
    assert rotated["client_id"] == created["client_id"]
    assert rotated["client_secret"] and rotated["client_secret"] != created["client_secret"]
    cli.ok("clients", "disable", created["client_id"])
    assert cli.ok("clients", "show", created["client_id"], "--json").json["disabled"] is True


@pytest.mark.parametrize(
    "args, message",
    [
        (("clients", "add", "--name", "x", "--redirect-uri", "http://example.com/cb"), "must use https"),
        (("clients", "add", "--name", "x", "--redirect-uri", "http://localhost:8000/cb"), "must use https"),
        (("clients", "add", "--name", "x", "--redirect-uri", "https://a.example/cb#frag"), "fragment"),
        (("clients", "add", "--name", "x", "--redirect-uri", "/relative"), "absolute"),
        (("clients", "add", "--name", "x", "--grant-type", "password"), "'password' is not one of"),
        (("clients", "add", "--name", "x", "--grant-type", "implicit"), "'implicit' is not one of"),
        (("clients", "add", "--name", "x", "--scope", "no-such-scope"), "unknown scope"),
        (("clients", "add", "--name", "x", "--auth-method", "client_secret_jwt"), "'client_secret_jwt' is not one of"),
        (("clients", "add", "--name", "x", "--grant-type", "authorization_code"), "needs at least one --redirect-uri"),
        (("clients", "add", "--name", "x", "--auth-method", "none"), "cannot use client_credentials"),
        (
            ("clients", "add", "--name", "x", "--redirect-uri", "https://a.example/cb", "--pkce", "maybe"),
            "Invalid value for '--pkce'",
        ),
        (
            (
                "clients",
                "add",
                "--name",
                "x",
                "--redirect-uri",
                "https://a.example/cb",
                "--auth-method",
                "none",
                "--pkce",
                "optional",
            ),
            "must use PKCE",
        ),
        (("clients", "add", "--name", "  "), "needs a name"),
        (("clients", "add", "--name", "x", "--client-uri", "javascript:alert(document.cookie)"), "--client-uri"),
        (("clients", "add", "--name", "x", "--policy-uri", "data:text/html,hi"), "--policy-uri"),
        (("clients", "add", "--name", "x", "--client-uri", "https://[unclosed/"), "--client-uri"),
        (("clients", "add", "--name", "x", "--client-uri", "https://a.example/" + "x" * 500), "--client-uri"),
        (("clients", "add", "--name", "x", "--access-token-format", "paseto"), "--access-token-format"),
        (("clients", "show", "nope"), "no client"),
        (("clients", "rotate-secret", "nope"), "no client"),
        (("clients", "disable", "nope"), "no client"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(cli, args, message):
    assert_refused_without_change(cli, ("clients", "list", "--json"), args, message)


def test_rotating_a_public_clients_secret_is_refused(cli):
    created = cli.ok(
        "clients", "add", "--name", "SPA", "--redirect-uri", "https://a.example/cb", "--auth-method", "none", "--json"
    ).json
    result = cli("clients", "rotate-secret", created["client_id"])
    assert result.code != 0 and "without a secret" in result.err


def test_set_limits(cli):
    created = cli.ok("clients", "add", "--name", "Partner", "--json").json
    assert created["rate_limit_per_minute"] is None
    shown = cli.ok(
        "clients",
        "set-limits",
        created["client_id"],
        "--rate-limit-per-minute",
        "60",
        "--tokens-per-day",
        "5000",
        "--json",
    ).json
    assert (shown["rate_limit_per_minute"], shown["tokens_per_day"]) == (60, 5000)
    assert_refused_without_change(
        cli,
        ("clients", "list", "--json"),
        ("clients", "set-limits", created["client_id"], "--tokens-per-day", "-1"),
        "must not be negative",
    )
    assert_refused_without_change(
        cli,
        ("clients", "list", "--json"),
        ("clients", "set-limits", created["client_id"], "--rate-limit-per-minute", str(2**31)),
        "must be at most",
    )
    assert_refused_without_change(cli, ("clients", "list", "--json"), ("clients", "set-limits", "nope"), "no client")


@pytest.mark.parametrize("jwks", ["[1]", '{"keys": "abc"}', '{"keys": [1]}', '"keys"'])
def test_a_jwks_that_is_not_a_key_set_is_refused(cli, jwks):
    args = ("clients", "add", "--name", "x", "--auth-method", "private_key_jwt", "--jwks", jwks)
    assert_refused_without_change(cli, ("clients", "list", "--json"), args, "JSON Web Key Set")


def test_without_scope_a_client_gets_no_api_scopes_and_is_told_so(cli):
    cli.ok("scopes", "add", "chat:create", "--description", "Chat")
    web = cli.ok("clients", "add", "--name", "Web", "--redirect-uri", "https://app.example/cb")
    assert "scope: openid profile email offline_access" in web.out
    assert "no API scopes" in web.out and "--scope" in web.out
    web_id = web.out.split("client_id: ")[1].split()[0]
    assert cli.ok("clients", "show", web_id, "--json").json["scope"] == "openid profile email offline_access"
    machine = cli.ok("clients", "add", "--name", "Partner", "--json").json
    assert machine["scope"] == ""
    named = cli.ok("clients", "add", "--name", "Chat", "--scope", "chat:create", "--json").json
    assert named["scope"] == "chat:create"


def test_add_restates_what_it_created(cli):
    out = cli.ok(
        "clients",
        "add",
        "--name",
        "Web",
        "--redirect-uri",
        "https://app.example/cb",
        "--post-logout-redirect-uri",
        "https://app.example/",
        "--scope",
        "openid email",
        "--auth-method",
        "client_secret_post",
    ).out
    assert out.startswith("created client 'Web'\nclient_id: ")
    for line in (
        "grant_types: authorization_code refresh_token",
        "token_endpoint_auth_method: client_secret_post",
        "scope: openid email",
        "redirect_uris: https://app.example/cb",
        "post_logout_redirect_uris: https://app.example/",
    ):
        assert line in out.splitlines()
    assert "client_secret: " in out and "shown once" in out
    assert "no API scopes" not in out


def test_help_shows_choices_and_defaults(cli):
    text = " ".join(cli.ok("clients", "add", "--help").out.split())
    assert "[authorization_code|refresh_token|client_credentials" in text
    assert "[client_secret_basic|client_secret_post|private_key_jwt|none]" in text
    assert "[default: client_secret_basic]" in text
    assert "[default: no API scopes" in text


def test_resource_server_names_its_resource_url(cli):
    created = cli.ok(
        "clients", "add", "--name", "API", "--resource-server", "--resource-url", "HTTPS://API.example/", "--json"
    ).json
    # Stored in the canonical form tokens' audiences use (RFC 8707).
    assert created["resource_url"] == "https://api.example"
    assert cli.ok("clients", "show", created["client_id"], "--json").json["resource_url"] == "https://api.example"


def test_a_client_can_be_required_to_push_its_authorization_requests(cli):
    created = cli.ok(
        "clients", "add", "--name", "Web", "--redirect-uri", "https://app.example/cb", "--require-par", "--json"
    ).json
    assert created["require_pushed_authorization_requests"] is True
    shown = cli.ok("clients", "show", created["client_id"]).out
    assert "require_pushed_authorization_requests: True" in shown
    plain = cli.ok("clients", "add", "--name", "Other", "--redirect-uri", "https://app.example/cb", "--json").json
    assert plain["require_pushed_authorization_requests"] is False


def test_a_client_can_have_jwt_access_tokens(cli):
    created = cli.ok("clients", "add", "--name", "Svc", "--access-token-format", "jwt", "--json").json
    assert created["access_token_format"] == "jwt"
    assert cli.ok("clients", "show", created["client_id"], "--json").json["access_token_format"] == "jwt"
    assert cli.ok("clients", "add", "--name", "Other", "--json").json["access_token_format"] == "opaque"


def test_a_client_can_be_required_to_use_dpop(cli):
    created = cli.ok("clients", "add", "--name", "Agent", "--require-dpop", "--json").json
    assert created["dpop_bound_access_tokens"] is True
    assert cli.ok("clients", "show", created["client_id"], "--json").json["dpop_bound_access_tokens"] is True
    plain = cli.ok("clients", "add", "--name", "Other", "--json").json
    assert plain["dpop_bound_access_tokens"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--resource-url", "https://api.example"), "add --resource-server"),
        (("--resource-server", "--resource-url", "https://api.example/#top"), "--resource-url must be"),
        (("--resource-server", "--resource-url", "api.example"), "--resource-url must be"),
    ],
)
def test_bad_resource_url_is_refused(cli, args, message):
    assert_refused_without_change(
        cli, ("clients", "list", "--json"), ("clients", "add", "--name", "API", *args), message
    )
