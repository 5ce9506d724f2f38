"""Extensions and per-app state, reachable from any request or CLI context.

State lives on the app, not in module globals, so several authorization servers can run in one
process (the federation tests make one the upstream of another).
"""

from __future__ import annotations

from flask import current_app
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from authserver.database import Database
from shared.config import Config
from shared.security import SecretBox

csrf = CSRFProtect()


def get_config() -> Config:
    return current_app.extensions["authserver.config"]


def secret_box(purpose: str) -> SecretBox:
    """Seals under AUTHSERVER_SECRET_KEY, opens under it or any of AUTHSERVER_OLD_SECRET_KEYS."""
    config = get_config()
    return SecretBox(config.secret_key, purpose, config.old_secret_keys)


def signing_secret_keys() -> list[str]:
    """For itsdangerous: every key that still verifies, the current one (which signs) last."""
    config = get_config()
    return [*reversed(config.old_secret_keys), config.secret_key]


def get_db() -> Database:
    return current_app.extensions["authserver.db"]


def db_session() -> Session:
    return current_app.extensions["authserver.db"].session()
