"""The authorization server."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from sqlalchemy import text

from authserver.accounts import views as accounts_views
from authserver.accounts.sessions import PageSessionInterface
from authserver.compat import Request
from authserver.consent import views as consent_views
from authserver.database import Database
from authserver.extensions import protect_pages
from authserver.federation import views as federation_views
from authserver.headers import security_headers
from authserver.oauth2 import init_oauth2
from authserver.oauth2 import views as oauth2_views
from authserver.outage import register_outage_errors
from authserver.paths import CLIENT_ENDPOINT_PATHS
from authserver.paths import LIMITS_PATH
from authserver.paths import REVOCATIONS_PATH
from authserver.paths import USAGE_PATH
from authserver.portal import views as portal_views
from authserver.tokens import revocations
from shared.app import App
from shared.config import Config
from shared.config import resolve
from shared.errors import register_json_errors
from shared.health import HEALTH_PATHS
from shared.health import health_blueprint
from shared.logging import configure_logging
from shared.metrics import METRICS_PATH
from shared.observability import observe
from shared.proxies import trust_proxies


def create_app(config: Config | Mapping[str, object] | None = None) -> Flask:
    cfg = resolve(config)
    configure_logging()
    app = App(__name__, instance_path=str(cfg.instance_path))
    app.request_class = Request
    observe(app, "authserver", cfg.authserver_metrics_token, *security_headers(https=cfg.session_cookie_secure))
    app.config.update(
        # No form, token request or usage batch comes near this; a larger body is refused with 413.
        MAX_CONTENT_LENGTH=1024 * 1024,
        SECRET_KEY=cfg.secret_key,
        # Sessions signed under a key an admin rotated out stay valid while it is listed here.
        SECRET_KEY_FALLBACKS=list(reversed(cfg.old_secret_keys)),
        SESSION_COOKIE_NAME="authserver_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=cfg.session_cookie_secure,
        PREFERRED_URL_SCHEME="https" if cfg.session_cookie_secure else "http",
        TESTING=cfg.testing,
        JSON_SORT_KEYS=False,
        # Flask-WTF's https-only Referer check cannot pass: every page says Referrer-Policy:
        # no-referrer. The CSRF token and the SameSite=Lax session cookie are the protection.
        WTF_CSRF_SSL_STRICT=False,
    )
    trust_proxies(app, cfg.trusted_proxies)
    database = Database(cfg.database_url)
    app.extensions["authserver.config"] = cfg
    app.extensions["authserver.db"] = database
    app.teardown_appcontext(database.remove)
    revocations.init_app(app, database.session_factory)
    app.session_interface = PageSessionInterface(
        CLIENT_ENDPOINT_PATHS | HEALTH_PATHS | {USAGE_PATH, LIMITS_PATH, REVOCATIONS_PATH, METRICS_PATH}
    )

    def database_answers() -> bool:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True

    app.register_blueprint(health_blueprint({"database": database_answers}))
    for blueprint in (accounts_views.bp, consent_views.bp, federation_views.bp, portal_views.bp):
        app.register_blueprint(blueprint)
    init_oauth2(app)
    protect_pages(app, client_blueprints={oauth2_views.bp.name})
    register_json_errors(app)
    register_outage_errors(app)
    return app
