"""The resource server: an OpenAI-compatible AI API that trusts the authorization server over HTTP."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from collections.abc import Mapping

from flask import Flask

from shared.app import App
from shared.config import Config
from shared.config import resolve
from shared.errors import register_json_errors
from shared.health import health_blueprint
from shared.logging import configure_logging
from shared.proxies import trust_proxies


def _reexport_stdlib_resource() -> None:
    """The contract names this package ``resource``, which shadows the standard library's
    ``resource`` module when the project root is on sys.path; keep ``resource.getrlimit`` and
    friends working for any library (a WSGI server, a profiler) that imports the original."""
    spec = importlib.machinery.PathFinder.find_spec("resource", [p for p in sys.path if "lib-dynload" in p])
    if spec is None:
        return
    stdlib = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stdlib)
    globals().update({k: v for k, v in vars(stdlib).items() if not k.startswith("__")})


_reexport_stdlib_resource()


MAX_BODY_BYTES = 8 * 1024 * 1024


def create_app(config: Config | Mapping[str, object] | None = None) -> Flask:
    # Imported here, not at the top: gunicorn and others ``import resource`` for getrlimit and
    # should get the light stdlib shim, not the whole API.
    from resource import metadata
    from resource.apis import chat
    from resource.apis import embeddings
    from resource.apis import me
    from resource.apis import models
    from resource.errors import ApiError
    from resource.mcp import views as mcp
    from resource.state import ResourceState
    from shared.observability import observe  # prometheus_client imports the stdlib ``resource``: see above

    cfg = resolve(config)
    configure_logging()
    app = App(__name__, instance_path=str(cfg.instance_path))
    app.config.update(TESTING=cfg.testing, MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    observe(app, "resource", cfg.resource_metrics_token)
    trust_proxies(app, cfg.resource_trusted_proxies)
    state = ResourceState.build(cfg)
    app.extensions["resource.config"] = cfg
    app.extensions["resource"] = state
    app.register_blueprint(health_blueprint(state.readiness_checks()))
    for api in (models, embeddings, chat, me, metadata, mcp):
        app.register_blueprint(api.bp)
    register_json_errors(
        app,
        render=lambda status, name, description: ApiError(
            status, description, type_="invalid_request_error" if status < 500 else "server_error", code=name
        ).response(),
    )
    app.register_error_handler(ApiError, lambda exc: exc.response())
    return app
