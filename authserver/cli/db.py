from __future__ import annotations

import click

from authserver.migrations import upgrade
from shared.config import Config


@click.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every Alembic migration up to head (safe to repeat)."""
    config = Config.from_env()
    config.instance_path.mkdir(parents=True, exist_ok=True)
    upgrade(config.database_url)
    click.echo("database is at the latest schema")
