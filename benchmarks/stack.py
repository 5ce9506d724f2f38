"""The deployment under test: the authorization server, two resource servers (introspection cache on
and off), the bare Flask ceiling and the relay (the floor under a request that makes another), all
served with the same WSGI server settings."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from urllib.parse import urlencode

from benchmarks.instance import BENCH_SCOPE
from benchmarks.instance import Credentials
from benchmarks.instance import Instance
from benchmarks.instance import discover
from benchmarks.instance import issue_token
from benchmarks.load import Request
from benchmarks.procs import Processes
from benchmarks.procs import Server
from benchmarks.procs import ServerSettings
from benchmarks.procs import free_port
from benchmarks.relay import UPSTREAM_ENV

RESOURCE_CACHE_TTL = 60
TOKEN_FORM = urlencode({"grant_type": "client_credentials", "scope": BENCH_SCOPE})


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    request: Request
    target_ratio: float | None
    p99_limit_ms: float | None
    # The servers that do the work (a cache-off /v1/me costs an introspection too): their CPU is counted.
    servers: tuple[Server, ...] = ()


class Stack:
    def __init__(self, processes: Processes, instance: Instance, settings: ServerSettings, auth_port: int):
        self.processes = processes
        self.instance = instance
        self.settings = settings
        self.auth = Server("authserver", "authserver.wsgi:app", auth_port, instance.env, settings)
        self.resource: Server | None = None
        self.resource_uncached: Server | None = None
        self.hello = Server("hello", "benchmarks.hello:app", free_port(), dict(os.environ), settings)
        self.relay = Server(
            "relay", "benchmarks.relay:app", free_port(), {**os.environ, UPSTREAM_ENV: self.hello.url}, settings
        )
        self.metadata: dict = {}

    def start_ceiling(self) -> Scenario:
        self.processes.start(self.hello)
        return self.ceiling()

    def ceiling(self) -> Scenario:
        return Scenario("e", "bare Flask hello (ceiling)", Request(self.hello.url + "/"), None, None, (self.hello,))

    def start(self, bench: Credentials, rs: Credentials) -> Stack:
        self.processes.start(self.hello)
        self.processes.start(self.auth)
        self.metadata = discover(self.instance.issuer)
        self.resource = Server(
            "resource",
            "resource.wsgi:app",
            free_port(),
            self.instance.resource_env(rs, RESOURCE_CACHE_TTL),
            self.settings,
        )
        self.resource_uncached = Server(
            "resource-nocache", "resource.wsgi:app", free_port(), self.instance.resource_env(rs, 0), self.settings
        )
        self.processes.start(self.resource)
        self.processes.start(self.resource_uncached)
        self.processes.start(self.relay)
        return self

    @property
    def token_endpoint(self) -> str:
        return self.metadata["token_endpoint"]

    @property
    def introspection_endpoint(self) -> str:
        return self.metadata["introspection_endpoint"]

    @property
    def revocation_endpoint(self) -> str:
        return self.metadata["revocation_endpoint"]

    def scenarios(self, bench: Credentials, rs: Credentials) -> list[Scenario]:
        token = issue_token(self.token_endpoint, bench)
        bearer = f"Bearer {token}"
        return [
            Scenario(
                "a",
                "token (client_credentials)",
                Request(self.token_endpoint, "POST", TOKEN_FORM, bench.basic),
                0.4,
                50,
                (self.auth,),
            ),
            Scenario(
                "b",
                "introspection",
                Request(self.introspection_endpoint, "POST", f"token={token}", rs.basic),
                0.6,
                50,
                (self.auth,),
            ),
            Scenario(
                "c",
                "GET /v1/me, cache warm",
                Request(self.resource.url + "/v1/me", authorization=bearer),
                0.9,
                50,
                (self.resource,),
            ),
            Scenario(
                "d",
                "GET /v1/me, cache off",
                Request(self.resource_uncached.url + "/v1/me", authorization=bearer),
                0.3,
                None,
                (self.resource_uncached, self.auth),
            ),
            Scenario(
                "f", "hello asking hello (floor)", Request(self.relay.url + "/"), None, None, (self.relay, self.hello)
            ),
            self.ceiling(),
        ]

    def scale_out_scenarios(self, bench: Credentials, rs: Credentials) -> list[Scenario]:
        """(a) and (b) on this authorization server and on a second one with a single worker process,
        both on the same database and Redis: how throughput grows from 1 to N workers."""
        single = Server(
            "authserver-1-worker",
            "authserver.wsgi:app",
            free_port(),
            self.instance.env,
            dataclasses.replace(self.settings, workers=1),
        )
        self.processes.start(single)
        token = issue_token(self.token_endpoint, bench)
        scenarios = []
        for server, workers in ((single, 1), (self.auth, self.settings.workers)):
            origin = server.url
            scenarios += [
                Scenario(
                    f"a{workers}",
                    f"token, {workers} worker(s)",
                    Request(self._on(origin, self.token_endpoint), "POST", TOKEN_FORM, bench.basic),
                    None,
                    50,
                    (server,),
                ),
                Scenario(
                    f"b{workers}",
                    f"introspection, {workers} worker(s)",
                    Request(self._on(origin, self.introspection_endpoint), "POST", f"token={token}", rs.basic),
                    None,
                    50,
                    (server,),
                ),
            ]
        return scenarios + [self.ceiling()]

    def _on(self, origin: str, endpoint: str) -> str:
        return origin + endpoint.removeprefix(self.instance.issuer)

    def crash_and_restart(self) -> None:
        """SIGKILL both apps (no graceful shutdown, as in a crash) and start them again on the same ports."""
        servers = (self.resource, self.resource_uncached, self.auth)
        for server in servers:
            self.processes.stop(server.process, kill=True)
        for server in reversed(servers):
            self.processes.start(server)
