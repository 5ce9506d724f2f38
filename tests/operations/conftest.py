"""Both apps on servers of their own, for tests that stop and start what the apps depend on."""

from __future__ import annotations

import uuid

import pytest

from authserver import create_app as create_auth_app
from authserver.migrations import upgrade
from shared.config import Config
from tests.resource.conftest import redis_server  # noqa: F401  (a session fixture shared with tests/resource)
from tests.resource.conftest import redis_url  # noqa: F401
from tests.resource.conftest import stack  # noqa: F401
from tests.resource.conftest import start_resource  # noqa: F401
from tests.resource.e2e import Stack
from tests.resource.e2e import register
from tests.support.live_server import LiveServer
from tests.support.oauth import LiveAuth
from tests.support.postgres import PostgresServer
from tests.support.postgres import admin


@pytest.fixture(scope="module")
def own_postgres():
    """A PostgreSQL server of this module's own, so that stopping it disturbs no other test."""
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def own_database(own_postgres) -> str:
    name = f"ops_{uuid.uuid4().hex[:12]}"
    admin(own_postgres.url, f"CREATE DATABASE {name}")
    url = f"{own_postgres.url}/{name}"
    upgrade(url)
    return url


@pytest.fixture
def start_auth(tmp_path):
    """``start_auth(database_url, **config)``: a live authorization server; several may share a database
    (and an issuer and key: then they are workers of one deployment, in separate processes' stead)."""
    started = []

    def start(database_url: str, issuer: str | None = None, **overrides) -> LiveAuth:
        """``issuer``: another server's, to play a second worker of the same deployment."""
        server = LiveServer()
        config = Config.from_env(
            environ={},
            instance_path=tmp_path / "instance",
            database_url=database_url,
            secret_key="ops-test-key",
            testing=True,
            issuer=issuer or server.url,
            **overrides,
        )
        app = create_auth_app(config)
        server.start(app)
        started.append((server, app))
        return LiveAuth(server.url, app)

    yield start
    for server, app in started:
        server.stop()
        app.extensions["authserver.db"].dispose()


@pytest.fixture
def pg_stack(own_database, start_auth, start_resource) -> Stack:
    """Both apps on the module's own PostgreSQL; the resource server caches answers for a minute."""
    auth = start_auth(own_database)
    resource_client, partner = register(auth)
    server = start_resource(
        auth.url,
        resource_client.client_id,
        resource_client.client_secret,
        resource_cache_ttl=60,
        usage_flush_interval=0.2,
    )
    return Stack(auth, server, resource_client, partner)
