def test_db_upgrade_is_idempotent(cli):
    assert "latest schema" in cli.ok("db", "upgrade").out
    assert "latest schema" in cli.ok("db", "upgrade").out


def test_demo_seeds_api_scopes_user_and_clients_and_is_repeatable(cli, tmp_path):
    env_file = tmp_path / "demo.env"
    first = cli.ok("demo", "--env-file", str(env_file), "--json").json
    second = cli.ok("demo", "--json").json
    assert first["web_client"]["client_id"] == second["web_client"]["client_id"]
    assert first["partner_client"]["client_secret"] != second["partner_client"]["client_secret"]
    assert f"RESOURCE_CLIENT_ID={first['resource_client']['client_id']}" in env_file.read_text()
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    names = {row["name"] for row in cli.ok("scopes", "list", "--json").json}
    assert {"models:read", "embeddings:create", "chat:create"} <= names


def test_unknown_command_is_one_line(cli):
    result = cli("frobnicate")
    assert result.code != 0 and result.err.count("\n") == 1
