"""Fixtures shared by the whole suite.

Storage-touching tests take ``database_url``, which runs them once on SQLite and once on a real
PostgreSQL server started for the session. Each test gets a fresh, fully migrated database,
copied from a template migrated once per session.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from authserver import create_app as create_auth_app
from authserver.accounts import passwords
from authserver.migrations import upgrade
from shared.config import Config
from tests.support.cli import Cli
from tests.support.oauth import auth_config
from tests.support.oauth import serve_auth
from tests.support.postgres import PostgresServer
from tests.support.postgres import admin

BACKENDS = ("sqlite", "postgresql")
# argon2id at its lowest cost (one pass over 8 KiB). The suite signs people in hundreds of times, and
# at the production cost (three passes over 64 MiB) argon2 was nearly half of the suite's CPU time.
# The same code hashes and verifies; ``production_password_hashing`` puts the real cost back.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", CHEAP_HASHER)
        patch.setattr(passwords, "_DUMMY_HASH", CHEAP_HASHER.hash("not a real password"))
        yield


@pytest.fixture
def production_password_hashing(monkeypatch):
    """For a test of the parameters themselves: the hasher the product uses."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher())


@pytest.fixture(scope="session")
def postgres_url():
    external = os.environ.get("TEST_POSTGRES_URL")
    if external:
        yield external.rstrip("/")
        return
    server = PostgresServer().start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_url) -> str:
    name = f"template_{uuid.uuid4().hex[:8]}"
    admin(postgres_url, f"CREATE DATABASE {name}")
    upgrade(f"{postgres_url}/{name}")
    return name


@contextmanager
def fresh_database(request, backend: str, directory: Path) -> Iterator[str]:
    """A fully migrated database of its own on ``backend``, copied from the session's template."""
    if backend == "sqlite":
        path = directory / "authserver.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres_url")
    template = request.getfixturevalue("postgres_template")
    name = f"test_{uuid.uuid4().hex[:12]}"
    # FILE_COPY: for a database this small, copying the files is several times faster than
    # PostgreSQL 15's default WAL_LOG, which writes every page of the copy to the WAL.
    admin(server, f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
    yield f"{server}/{name}"
    admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    with fresh_database(request, request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def module_database_url(request, tmp_path_factory):
    """``database_url`` shared by a whole module: for tests that share one live server, each leaving
    its own rows (its own clients and users) that no other test of the module looks at."""
    with fresh_database(request, request.param, tmp_path_factory.mktemp("module-db")) as url:
        yield url


@pytest.fixture
def config(tmp_path, database_url) -> Config:
    return auth_config(database_url, tmp_path / "instance")


@pytest.fixture
def auth_app(config):
    app = create_auth_app(config)
    yield app
    app.extensions["authserver.db"].dispose()


@pytest.fixture
def cli(monkeypatch, capsys, config) -> Cli:
    """The admin CLI on the test's database, configured only through the environment."""
    return Cli(
        monkeypatch,
        capsys,
        {
            "AUTHSERVER_DATABASE_URL": config.database_url,
            "AUTHSERVER_INSTANCE_PATH": str(config.instance_path),
            "AUTHSERVER_SECRET_KEY": config.secret_key,
        },
    )


@pytest.fixture
def live_auth(config):
    """A live authorization server on 127.0.0.1 (issuer = its URL), on the test's database.

    Unpacks as ``server_url, app = live_auth``; also offers factories (``.client()``, ``.user()``)
    and ``.browser()`` for a signed-in person (see tests/support/oauth.py).
    """
    with serve_auth(config) as live:
        yield live
