"""``manage.py demo``: a demo user and demo clients whose credentials survive restarts.

The credentials live in an env file (``instance/demo.env``, mode 0600) that ``make run`` sources;
a run that finds them still valid in the database keeps them, so a second ``make run`` prints the
same password and secrets. ``--reset`` makes new ones.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from sqlalchemy import select

from authserver.accounts import services as accounts
from authserver.accounts.passwords import hash_password
from authserver.accounts.passwords import verify_password
from authserver.cli import emit
from authserver.cli import in_app_context
from authserver.clients import services as clients
from authserver.clients.models import Client
from authserver.clients.rotation import rotate_secret
from authserver.extensions import db_session
from authserver.extensions import get_config
from authserver.paths import DEVELOPER_APPS_PATH
from authserver.scopes import services as scopes
from authserver.scopes.models import Scope
from shared.security import matches_digest

API_SCOPES = {
    "models:read": "List the AI models available to you",
    "embeddings:create": "Create embeddings of text",
    "chat:create": "Chat with AI models on your behalf",
}
DEMO_EMAIL = "demo@example.com"
WEB_APP_URL = "http://127.0.0.1:8000"
DEMO_REDIRECT_URI = WEB_APP_URL + "/callback"
RESOURCE_URL = "http://127.0.0.1:5001"
FIRST_APP_GUIDE = 'README.md, section "Your first app"'

# name, env-file prefix, registration: each client gets only the scopes it uses.
DEMO_CLIENTS = (
    (
        "Demo web app",
        "DEMO_WEB",
        dict(
            redirect_uris=[DEMO_REDIRECT_URI],
            post_logout_redirect_uris=[WEB_APP_URL + "/"],
            scope="openid profile email offline_access " + " ".join(API_SCOPES),
        ),
    ),
    ("Demo partner service", "DEMO_PARTNER", dict(grant_types=["client_credentials"], scope=" ".join(API_SCOPES))),
    ("Demo resource server", "RESOURCE", dict(grant_types=["client_credentials"], scope="", resource_server=True)),
)


def read_env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines; anything else (comments, blanks) is skipped."""
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.startswith("#"):
            values[name.strip()] = value.strip()
    return values


def write_env_file(path: Path, values: dict[str, str]) -> None:
    """Written mode 0600 from the start: it holds a password and client secrets."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file keeps its mode through O_CREAT
    with os.fdopen(fd, "w") as handle:
        handle.writelines(f"{name}={value}\n" for name, value in values.items())


def _seed_scopes() -> None:
    session = db_session()
    for name, description in API_SCOPES.items():
        if session.scalar(select(Scope.id).where(Scope.name == name)) is None:
            scopes.add_scope(name, description)


def _user(kept: dict[str, str], reset: bool) -> tuple[object, str]:
    """The demo user, with the kept password when it still signs in."""
    user = accounts.find_user_by_email(DEMO_EMAIL)
    password = kept.get("DEMO_USER_PASSWORD", "")
    if user is not None and not reset and verify_password(user.password_hash, password):
        return user, password
    password = secrets.token_urlsafe(12)
    if user is None:
        user = accounts.add_user(DEMO_EMAIL, password, email_verified=True, name="Demo User")
    else:
        user.password_hash = hash_password(password)
        db_session().commit()
    return user, password


def _client(name: str, prefix: str, kept: dict[str, str], reset: bool, registration: dict) -> dict:
    """The named demo client, made once; its kept secret reused while it still matches."""
    existing = db_session().scalar(select(Client).where(Client.name == name))
    secret = kept.get(f"{prefix}_CLIENT_SECRET")
    if existing is None:
        result = clients.register_client(name=name, **registration)
        secret = result.client_secret
    elif not existing.client_secret_digest:
        secret = None
    elif reset or not matches_digest(secret, existing.client_secret_digest):
        secret = rotate_secret(existing).client_secret
    client = existing or result.client
    return {"client_id": client.client_id, "client_secret": secret}


@click.command("demo")
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where the demo credentials are kept (mode 0600).  [default: INSTANCE_PATH/demo.env]",
)
@click.option("--reset", is_flag=True, help="Make a new demo password and new client secrets.")
@click.option(
    "--resource-url",
    default=RESOURCE_URL,
    show_default=True,
    help="The demo resource server's resource identifier (RFC 8707): what tokens for it name.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the demo credentials as one JSON object.")
@in_app_context
def demo(env_file: Path | None, reset: bool, resource_url: str, as_json: bool) -> None:
    """Seed the API scopes, a demo user and demo clients; print how to use them.

    Run again, it keeps the credentials it wrote (while the database still accepts them).
    """
    config = get_config()
    path = env_file or config.instance_path / "demo.env"
    kept = read_env_file(path)
    _seed_scopes()
    user, password = _user(kept, reset)
    made = {prefix: _client(name, prefix, kept, reset, registration) for name, prefix, registration in DEMO_CLIENTS}
    values = {**kept, "DEMO_USER_EMAIL": DEMO_EMAIL, "DEMO_USER_PASSWORD": password}
    for prefix, client in made.items():
        values[f"{prefix}_CLIENT_ID"] = client["client_id"]
        if client["client_secret"]:
            values[f"{prefix}_CLIENT_SECRET"] = client["client_secret"]
    write_env_file(path, values)
    web, partner, resource = made["DEMO_WEB"], made["DEMO_PARTNER"], made["RESOURCE"]
    resource_url = clients.set_resource_url(resource["client_id"], resource_url).resource_url
    issuer = config.issuer
    payload = {
        "issuer": issuer,
        "env_file": str(path),
        "user": {"email": DEMO_EMAIL, "password": password, "sub": user.sub},
        "web_client": web,
        "partner_client": partner,
        "resource_client": resource,
        "resource_url": resource_url,
        "developer_portal": issuer + DEVELOPER_APPS_PATH,
    }
    emit(
        payload,
        as_json,
        f"""
Demo ready (credentials kept in {path}; `python manage.py demo --reset` makes new ones).
  authorization server {issuer}   resource server {resource_url}   example app {WEB_APP_URL}
  user:            {DEMO_EMAIL} / {password}
  web app:         client_id={web["client_id"]} client_secret={web["client_secret"]}
                   redirect_uri={DEMO_REDIRECT_URI} (authorization code + PKCE)
  partner service: client_id={partner["client_id"]} client_secret={partner["client_secret"]}

Sign in to the example app at {WEB_APP_URL} with the user above, then chat.
Register your own apps in the developer portal: {issuer + DEVELOPER_APPS_PATH} (sign in as the user above).
Build your own: {FIRST_APP_GUIDE} walks the same flow with curl.

Try the API as the partner service:
  TOKEN=$(curl -s -u {partner["client_id"]}:{partner["client_secret"]} \\
      -d grant_type=client_credentials -d scope=models:read {issuer}/oauth/token | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -H "Authorization: Bearer $TOKEN" {resource_url}/v1/models

Connect an MCP client (an agent) to {resource_url}/mcp: README.md, section "Connect an agent".
""",
    )
