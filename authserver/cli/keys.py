from __future__ import annotations

import click

from authserver.audit.services import record
from authserver.cli import emit
from authserver.cli import in_app_context
from authserver.extensions import db_session
from authserver.federation import services as upstreams
from authserver.tokens import keys as signing_keys


@click.group()
def keys() -> None:
    """The signing keys of id_tokens and JWT access tokens, published at the JWKS endpoint."""


@keys.command("rotate")
@click.option(
    "--alg",
    type=click.Choice(signing_keys.ALGORITHMS),
    default=signing_keys.DEFAULT_ALGORITHM,
    show_default=True,
    help="The signing algorithm of the new key.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the new key as one JSON object.")
@in_app_context
def rotate(alg: str, as_json: bool) -> None:
    """Add a new active key; the old one stays published until what it signed (id_tokens, JWT access tokens) expires."""
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


@keys.command("reseal")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as one JSON object.")
@in_app_context
def reseal(as_json: bool) -> None:
    """Seal every secret kept encrypted (signing keys, upstream client secrets) under the current
    AUTHSERVER_SECRET_KEY; afterwards the old keys can leave AUTHSERVER_OLD_SECRET_KEYS."""
    keys_resealed, keys_unreadable = signing_keys.reseal_keys()
    secrets_resealed, secrets_unreadable = upstreams.reseal_secrets()
    payload = {
        "signing_keys_resealed": keys_resealed,
        "signing_keys_unreadable": keys_unreadable,
        "upstream_secrets_resealed": secrets_resealed,
        "upstream_secrets_unreadable": secrets_unreadable,
    }
    record("keys.resealed", **payload)
    db_session().commit()
    text = (
        f"resealed {keys_resealed} signing key(s) and {secrets_resealed} upstream secret(s) under the current key"
        + (
            f"; {keys_unreadable + secrets_unreadable} do not open under any key held (see keys list, upstreams list)"
            if keys_unreadable or secrets_unreadable
            else ""
        )
    )
    emit(payload, as_json, text)
