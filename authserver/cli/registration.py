from __future__ import annotations

import click

from authserver.cli import emit
from authserver.cli import in_app_context
from authserver.registration import services


@click.group("registration-token")
def registration_token() -> None:
    """Initial access tokens for RFC 7591 dynamic client registration."""


@registration_token.command("create")
@click.option("--expires-in", type=int, default=None, help="Seconds until it expires (default: never).")
@click.option("--max-uses", type=int, default=None, help="Registrations it allows (default: unlimited).")
@click.option("--json", "as_json", is_flag=True, help="Print the token as one JSON object.")
@in_app_context
def create(expires_in: int | None, max_uses: int | None, as_json: bool) -> None:
    """A token a developer sends as `Authorization: Bearer` to the registration endpoint (shown once)."""
    row, token = services.create_initial_access_token(expires_in, max_uses)
    payload = {
        "token": token,
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "max_uses": row.max_uses,
    }
    emit(payload, as_json, token)
