from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from sqlalchemy import select

from authserver.accounts import services as accounts
from authserver.accounts.passwords import hash_password
from authserver.cli import emit
from authserver.cli import in_app_context
from authserver.clients import services as clients
from authserver.clients.models import Client
from authserver.extensions import db_session
from authserver.extensions import get_config
from authserver.scopes import services as scopes
from authserver.scopes.models import Scope

API_SCOPES = {
    "models:read": "List the AI models available to you",
    "embeddings:create": "Create embeddings of text",
    "chat:create": "Chat with AI models on your behalf",
}
DEMO_EMAIL = "demo@example.com"
DEMO_REDIRECT_URI = "http://127.0.0.1:8000/callback"


def _client(name: str, **registration) -> dict:
    """The named demo client, made once and given a fresh secret on every run."""
    existing = db_session().scalar(select(Client).where(Client.name == name))
    if existing is None:
        result = clients.register_client(name=name, **registration)
    elif existing.client_secret_digest:
        result = clients.rotate_secret(existing.client_id)
    else:
        result = clients.Registration(existing, None)
    return {"client_id": result.client.client_id, "client_secret": result.client_secret}


@click.command("demo")
@click.option("--env-file", type=click.Path(dir_okay=False), default=None,
              help="Write the resource server's credentials here (mode 0600).")
@click.option("--json", "as_json", is_flag=True)
@in_app_context
def demo(env_file: str | None, as_json: bool) -> None:
    """Seed the API scopes, a demo user and demo clients; print how to use them."""
    session = db_session()
    for name, description in API_SCOPES.items():
        if session.scalar(select(Scope.id).where(Scope.name == name)) is None:
            scopes.add_scope(name, description)
    all_scopes = "openid profile email offline_access " + " ".join(API_SCOPES)
    password = secrets.token_urlsafe(12)
    user = accounts.find_user_by_email(DEMO_EMAIL)
    if user is None:
        user = accounts.add_user(DEMO_EMAIL, password, email_verified=True, name="Demo User")
    else:
        user.password_hash = hash_password(password)
        session.commit()
    web = _client("Demo web app", redirect_uris=[DEMO_REDIRECT_URI], scope=all_scopes)
    partner = _client("Demo partner service", grant_types=["client_credentials"], scope=" ".join(API_SCOPES))
    resource = _client("Demo resource server", grant_types=["client_credentials"], scope="models:read",
                       resource_server=True)
    if env_file:
        path = Path(env_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"RESOURCE_CLIENT_ID={resource['client_id']}\n")
            handle.write(f"RESOURCE_CLIENT_SECRET={resource['client_secret']}\n")
    issuer = get_config().issuer
    payload = {"issuer": issuer, "user": {"email": DEMO_EMAIL, "password": password, "sub": user.sub},
               "web_client": web, "partner_client": partner, "resource_client": resource}
    emit(payload, as_json, f"""
Demo ready. Authorization server {issuer}, resource server http://127.0.0.1:5001
  user:            {DEMO_EMAIL} / {password}
  web app:         client_id={web['client_id']} client_secret={web['client_secret']}
                   redirect_uri={DEMO_REDIRECT_URI} (authorization code + PKCE)
  partner service: client_id={partner['client_id']} client_secret={partner['client_secret']}

Try it:
  TOKEN=$(curl -s -u {partner['client_id']}:{partner['client_secret']} \\
      -d grant_type=client_credentials -d scope=models:read {issuer}/oauth/token | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:5001/v1/models
""")
