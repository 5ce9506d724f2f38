"""Extensions and per-app state, reachable from any request or CLI context.

State lives on the app, not in module globals, so several authorization servers can run in one
process (the federation tests make one the upstream of another).
"""

from __future__ import annotations

from collections.abc import Collection

from flask import Flask
from flask import current_app
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from authserver.database import Database
from shared.config import Config
from shared.security import SecretBox

csrf = CSRFProtect()


def protect_pages(app: Flask, client_blueprints: Collection[str]) -> None:
    """Flask-WTF's CSRF check before every POST, PUT, PATCH and DELETE of every blueprint registered
    so far (call it last) but ``client_blueprints``, whose callers are clients authenticating with
    their own credentials, never a browser's cookie. Run by each blueprint rather than before every
    request (Flask-WTF's default), so that token and introspection requests do not pay for it: 5 to
    7 us of a 180 us introspection, measured in process. ``csrf.exempt`` still applies."""
    csrf.init_app(app)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False

    def check_csrf() -> None:
        csrf.protect(apply_exemptions=True)

    for name in app.blueprints:
        if name not in client_blueprints:
            app.before_request_funcs.setdefault(name, []).insert(0, check_csrf)


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
