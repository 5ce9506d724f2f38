from __future__ import annotations

import click

from authserver.cli import emit
from authserver.migrations import head_revision
from authserver.migrations import upgrade
from shared.config import Config


@click.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--json", "as_json", is_flag=True, help='Print {"applied": [...], "revision": ...} as JSON.')
def db_upgrade(as_json: bool) -> None:
    """Apply every Alembic migration up to head (safe to repeat); say which ones ran."""
    config = Config.from_env()
    config.instance_path.mkdir(parents=True, exist_ok=True)
    applied = upgrade(config.database_url)
    head = head_revision()
    if not applied:
        text = f"already at the latest schema ({head})"
    elif len(applied) == 1:
        text = f"applied {applied[0]}; the database is at the latest schema ({head})"
    else:
        text = f"applied {len(applied)} migrations, {applied[0]} … {applied[-1]}; the database is at the latest schema ({head})"
    emit({"applied": applied, "revision": head}, as_json, text)
