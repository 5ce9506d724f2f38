import os

from sqlalchemy import create_engine
from sqlalchemy import text

from authserver.migrations import head_revision


def test_db_upgrade_says_what_it_applied(cli, tmp_path):
    database = tmp_path / "fresh.db"
    cli.env = {**cli.env, "AUTHSERVER_DATABASE_URL": f"sqlite:///{database}"}
    first = cli.ok("db", "upgrade", "--json").json
    assert first["applied"][0] == "0001" and first["applied"][-1] == head_revision()
    assert first["revision"] == head_revision()
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
    engine.dispose()
    assert cli.ok("db", "upgrade").out.strip() == f"already at the latest schema ({head_revision()})"


def test_db_upgrade_names_the_migrations_in_human_output(cli, tmp_path):
    cli.env = {**cli.env, "AUTHSERVER_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    out = cli.ok("db", "upgrade").out
    assert out.startswith("applied ") and "0001" in out and head_revision() in out


def test_demo_seeds_api_scopes_user_and_clients(cli, tmp_path):
    env_file = tmp_path / "demo.env"
    first = cli.ok("demo", "--env-file", str(env_file), "--json").json
    kept = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    assert kept["DEMO_USER_EMAIL"] == first["user"]["email"]
    assert kept["DEMO_USER_PASSWORD"] == first["user"]["password"]
    assert kept["DEMO_WEB_CLIENT_ID"] == first["web_client"]["client_id"]
    assert kept["DEMO_WEB_CLIENT_SECRET"] == first["web_client"]["client_secret"]
    assert kept["RESOURCE_CLIENT_ID"] == first["resource_client"]["client_id"]
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    names = {row["name"] for row in cli.ok("scopes", "list", "--json").json}
    assert {"models:read", "embeddings:create", "chat:create"} <= names
    web = cli.ok("clients", "show", first["web_client"]["client_id"], "--json").json
    assert web["post_logout_redirect_uris"] == ["http://127.0.0.1:8000/"]
    assert "chat:create" in web["scope"].split()
    assert first["developer_portal"].endswith("/developer/apps")
    assert first["developer_portal"] in cli.ok("demo", "--env-file", str(env_file)).out


def test_demo_twice_keeps_credentials_and_reset_changes_them(cli, tmp_path):
    env_file = tmp_path / "demo.env"
    first = cli.ok("demo", "--env-file", str(env_file), "--json").json
    env_file.write_text(env_file.read_text() + "SOMEONE_ELSES=kept\n")
    again = cli.ok("demo", "--env-file", str(env_file))
    second = cli.ok("demo", "--env-file", str(env_file), "--json").json
    assert second == first
    assert first["user"]["password"] in again.out and first["web_client"]["client_secret"] in again.out
    assert "Your first app" in again.out
    assert "SOMEONE_ELSES=kept" in env_file.read_text()
    reset = cli.ok("demo", "--env-file", str(env_file), "--reset", "--json").json
    assert reset["user"]["password"] != first["user"]["password"]
    for client in ("web_client", "partner_client", "resource_client"):
        assert reset[client]["client_id"] == first[client]["client_id"]
        assert reset[client]["client_secret"] != first[client]["client_secret"]
    assert f"DEMO_USER_PASSWORD={reset['user']['password']}" in env_file.read_text()
    assert oct(os.stat(env_file).st_mode & 0o777) == "0o600"


def test_demo_replaces_credentials_the_database_no_longer_accepts(cli, tmp_path):
    env_file = tmp_path / "demo.env"
    first = cli.ok("demo", "--env-file", str(env_file), "--json").json
    cli.ok("clients", "rotate-secret", first["web_client"]["client_id"])
    second = cli.ok("demo", "--env-file", str(env_file), "--json").json
    assert second["web_client"]["client_secret"] != first["web_client"]["client_secret"]
    assert second["partner_client"] == first["partner_client"]


def test_unknown_command_is_one_line(cli):
    result = cli("frobnicate")
    assert result.code != 0 and result.err.count("\n") == 1


def test_demo_resource_server_names_its_resource_url(cli, tmp_path):
    env_file = str(tmp_path / "demo.env")
    first = cli.ok("demo", "--env-file", env_file, "--json").json
    assert first["resource_url"] == "http://127.0.0.1:5001"
    shown = cli.ok("clients", "show", first["resource_client"]["client_id"], "--json").json
    assert shown["resource_server"] is True and shown["resource_url"] == "http://127.0.0.1:5001"
    moved = cli.ok("demo", "--env-file", env_file, "--resource-url", "http://127.0.0.1:6001/", "--json").json
    assert moved["resource_client"]["client_id"] == first["resource_client"]["client_id"]
    assert (
        cli.ok("clients", "show", moved["resource_client"]["client_id"], "--json").json["resource_url"]
        == "http://127.0.0.1:6001"
    )
