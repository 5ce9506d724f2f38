"""Extensions and per-app state, reachable from any request or CLI context.

State lives on the app, not in module globals, so several authorization servers can run in one
process (the federation tests make one the upstream of another).
"""

from __future__ import annotations

from flask import current_app
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from authserver.db import Database
from shared.config import Config

csrf = CSRFProtect()


def get_config() -> Config:
    return current_app.extensions["authserver.config"]


def get_db() -> Database:
    return current_app.extensions["authserver.db"]


def db_session() -> Session:
    return current_app.extensions["authserver.db"].session()
