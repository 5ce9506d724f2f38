"""Schema changes come only from Alembic; this runs them."""

from __future__ import annotations

from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from alembic import command
from authserver.database import make_engine
from shared.config import PROJECT_ROOT


def alembic_config(database_url: str) -> AlembicConfig:
    cfg = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    cfg.attributes["database_url"] = database_url
    return cfg


def current_revision(database_url: str) -> str | None:
    """The revision the database is at; None for a database Alembic has never touched."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> list[str]:
    """Upgrade to ``revision``; the revisions applied, oldest first (empty when already there)."""
    cfg = alembic_config(database_url)
    before = current_revision(database_url)
    command.upgrade(cfg, revision)
    after = current_revision(database_url)
    if after == before:
        return []
    script = ScriptDirectory.from_config(cfg)
    return [rev.revision for rev in reversed(list(script.iterate_revisions(after, before)))]


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()
