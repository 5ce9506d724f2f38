from __future__ import annotations

import click

from authserver.cli import emit
from authserver.cli import in_app_context
from authserver.tokens import keys as signing_keys


@click.group()
def keys() -> None:
    """The id_token signing keys published at the JWKS endpoint."""


@keys.command("rotate")
@click.option("--alg", type=click.Choice(signing_keys.ALGORITHMS), default=signing_keys.DEFAULT_ALGORITHM,
              show_default=True, help="The signing algorithm of the new key.")
@click.option("--json", "as_json", is_flag=True, help="Print the new key as one JSON object.")
@in_app_context
def rotate(alg: str, as_json: bool) -> None:
    """Add a new active key; the old one stays published until the id_tokens it signed expire."""
    payload = signing_keys.key_as_dict(signing_keys.add_key(alg))
    emit(payload, as_json, f"new active key {payload['kid']} ({payload['alg']})")


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@in_app_context
def list_(as_json: bool) -> None:
    """Every signing key: active, retired but still published, or retired."""
    rows = [signing_keys.key_as_dict(row) for row in signing_keys.list_keys()]
    text = "\n".join(
        f"{row['kid']:<45} {row['alg']:<6} "
        f"{'active' if row['active'] else 'retired, published until ' + str(row['publish_until']) if row['published'] else 'retired'}"
        for row in rows
    )
    emit(rows, as_json, text)
