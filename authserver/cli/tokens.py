from __future__ import annotations

import click

from authserver.cli import emit
from authserver.cli import in_app_context
from authserver.tokens import services


@click.group()
def tokens() -> None:
    """Access and refresh tokens, authorization codes."""


@tokens.command("purge")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as one JSON object.")
@in_app_context
def purge(as_json: bool) -> None:
    """Delete expired tokens, authorization codes, device authorization requests and revocation events."""
    counts = services.purge_expired()
    emit(
        counts,
        as_json,
        f"deleted {counts['tokens']} tokens, {counts['authorization_codes']} authorization codes"
        f" and {counts['device_authorizations']} device authorization requests",
    )
