"""Resource servers on 127.0.0.1 in front of a fake introspection server (unit level) or the
real authorization server (end to end, see ``tests/resource/e2e.py``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
import requests

from resource import create_app
from shared.config import PROJECT_ROOT
from shared.config import Config
from tests.resource.e2e import Stack
from tests.resource.e2e import register
from tests.resource.fakes import RS_ID
from tests.resource.fakes import RS_SECRET
from tests.resource.fakes import FakeIntrospection
from tests.resource.fakes import FakeUpstream
from tests.support.live_server import LiveServer
from tests.support.ports import free_port
from tests.support.redis import RedisServer


@pytest.fixture
def database_url(sqlite_template, tmp_path):
    """The resource server never touches the database: the authorization server behind it runs
    on SQLite only here (its storage is tested on both backends elsewhere)."""
    path = tmp_path / "authserver.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def fake_as():
    fake = FakeIntrospection()
    server = LiveServer()
    fake.url = server.url
    server.start(fake.app())
    yield fake
    server.stop()


@pytest.fixture
def fake_upstream():
    fake = FakeUpstream()
    server = LiveServer().start(fake.app())
    fake.url = server.url + "/v1"
    yield fake
    fake.release.set()
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def start_resource(tmp_path):
    """``start_resource(issuer, **config)``: a live resource server; stopped after the test."""
    started = []

    def start(issuer: str, client_id: str = RS_ID, client_secret: str = RS_SECRET, **overrides) -> LiveServer:
        server = LiveServer()
        # RESOURCE_URL is the server's base URL unless a test names another.
        overrides.setdefault("resource_url", server.url)
        # A busy machine (a parallel run) can take seconds to answer; tests of the timeout set theirs.
        overrides.setdefault("introspection_timeout", 10.0)
        config = Config.from_env(
            environ={},
            instance_path=tmp_path / "resource-instance",
            secret_key="unused",
            resource_issuer=issuer,
            resource_client_id=client_id,
            resource_client_secret=client_secret,
            testing=True,
            **overrides,
        )
        server.start(create_app(config))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        server.app.extensions["resource"].close()


@pytest.fixture
def resource(fake_as, start_resource):
    return start_resource(fake_as.url)


@pytest.fixture
def stack(live_auth, start_resource):
    """The real authorization server, one resource server trusting it (cache TTL 1 s), a partner."""
    resource_client, partner = register(live_auth)
    server = start_resource(
        live_auth.url,
        resource_client.client_id,
        resource_client.client_secret,
        resource_cache_ttl=1,
        usage_flush_interval=0.1,
    )
    return Stack(live_auth, server, resource_client, partner)


@pytest.fixture
def resource_process(tmp_path):
    """``resource_process(env)``: a resource server in its own OS process (``manage.py serve resource``)."""
    started = []

    def start(env: dict[str, str]) -> str:
        process, url = spawn_resource(env, tmp_path)
        started.append(process)
        return url

    yield start
    for process in started:
        process.terminate()
        process.wait(10)


def spawn_resource(env: dict[str, str], directory) -> tuple[subprocess.Popen, str]:
    """A resource server in its own OS process, answering on its URL (returned with it)."""
    port = free_port()
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("RESOURCE_", "REDIS_"))}
    environ.update(env, AUTHSERVER_INSTANCE_PATH=str(directory / f"process-{port}"))
    log = directory / f"process-{port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "resource", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=output,
        )
    url = f"http://127.0.0.1:{port}"
    # Generous: a Python process importing both apps on a machine busy with a parallel run.
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(url + "/healthz", timeout=1)
            return process, url
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"resource server did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.1)
