"""The deployment under test: the authorization server, two resource servers (introspection cache on
and off), the bare Flask ceiling and the relay (the floor under a request that makes another), all
served with the same WSGI server settings."""

from __future__ import annotations

import dataclasses
import os
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode

from benchmarks import peer
from benchmarks.instance import BENCH_SCOPE
from benchmarks.instance import Credentials
from benchmarks.instance import Instance
from benchmarks.instance import discover
from benchmarks.instance import get_json
from benchmarks.instance import issue_token
from benchmarks.instance import post_form
from benchmarks.load import Request
from benchmarks.peer import peer_server
from benchmarks.procs import BenchError
from benchmarks.procs import Processes
from benchmarks.procs import Server
from benchmarks.procs import free_port
from benchmarks.relay import UPSTREAM_ENV
from benchmarks.servers import ServerSettings

RESOURCE_CACHE_TTL = 60
# Scenario (g)'s access tokens, sent in turn.
JWT_TOKENS = 256
TOKEN_FORM = urlencode({"grant_type": "client_credentials", "scope": BENCH_SCOPE})


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    request: Request
    # The servers that do the work (a cache-off /v1/me costs an introspection too): their CPU is counted.
    servers: tuple[Server, ...] = ()
    # More requests loaded at the same time as ``request`` (one wrk each, the connections split
    # between them, figures summed): two servers on different ports behind the load generator.
    also: tuple[Request, ...] = ()


class Stack:
    def __init__(
        self, processes: Processes, instance: Instance, settings: ServerSettings, auth_port: int, peer: bool = False
    ):
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
        self.peer, self.peer_client = peer_server(free_port(), dict(os.environ)) if peer else (None, None)
        # Authorization servers besides ``auth`` on the same database (scale-out), for the checks.
        self.more_auth: list[Server] = []
        self.metadata: dict = {}

    def start_ceiling(self) -> Scenario:
        self.processes.start(self.hello)
        return self.ceiling()

    def ceiling(self) -> Scenario:
        return Scenario("e", "bare Flask hello (ceiling)", Request(self.hello.url + "/"), (self.hello,))

    def start(self, bench: Credentials, rs: Credentials, keys: str = "abcdefg") -> Stack:
        """Hello, the authorization server, and the servers the scenarios ``keys`` name need besides:
        the caching resource server for (c), the cache-off one for (d), the relay for (f)."""
        self.processes.start(self.hello)
        self.processes.start(self.auth)
        self.metadata = discover(self.instance.issuer)
        self.resource = self.resource_server("resource", rs, RESOURCE_CACHE_TTL)
        self.resource_uncached = self.resource_server("resource-nocache", rs, 0)
        for key, server in (("c", self.resource), ("d", self.resource_uncached), ("f", self.relay)):
            if key in keys:
                self.processes.start(server)
        if self.peer is not None:
            self.processes.start(self.peer)
        return self

    def resource_server(self, name: str, rs: Credentials, cache_ttl: int, workers: int | None = None) -> Server:
        settings = self.settings if workers is None else dataclasses.replace(self.settings, workers=workers)
        return Server(name, "resource.wsgi:app", free_port(), self.instance.resource_env(rs, cache_ttl), settings)

    @property
    def token_endpoint(self) -> str:
        return self.metadata["token_endpoint"]

    @property
    def introspection_endpoint(self) -> str:
        return self.metadata["introspection_endpoint"]

    @property
    def revocation_endpoint(self) -> str:
        return self.metadata["revocation_endpoint"]

    def scenarios(self, bench: Credentials, rs: Credentials, jwt: Credentials | None = None) -> list[Scenario]:
        """(a) to (f), the peer's, and (g) when ``jwt`` (a client with JWT access tokens) is given."""
        token = issue_token(self.token_endpoint, bench)
        bearer = f"Bearer {token}"
        scenarios = [
            Scenario(
                "a",
                "token (client_credentials)",
                Request(self.token_endpoint, "POST", TOKEN_FORM, bench.basic),
                (self.auth,),
            ),
            Scenario(
                "b",
                "introspection",
                Request(self.introspection_endpoint, "POST", f"token={token}", rs.basic),
                (self.auth,),
            ),
            Scenario(
                "c",
                "GET /v1/me, cache warm",
                Request(self.resource.url + "/v1/me", authorization=bearer),
                (self.resource,),
            ),
            Scenario(
                "d",
                "GET /v1/me, cache off",
                Request(self.resource_uncached.url + "/v1/me", authorization=bearer),
                (self.resource_uncached, self.auth),
            ),
            Scenario("f", "hello asking hello (floor)", Request(self.relay.url + "/"), (self.relay, self.hello)),
            self.ceiling(),
        ]
        local = self.jwt_scenario(jwt, rs) if jwt is not None else None
        return scenarios[:4] + ([local] if local else []) + scenarios[4:] + self.peer_scenarios()

    def jwt_scenario(self, client: Credentials, rs: Credentials) -> Scenario | None:
        """(g): ``GET /v1/me`` with JWT access tokens (RFC 9068) on a resource server that validates
        them itself, with its cache off, so that nothing is kept per token: each request checks a
        signature and the claims. The requests take JWT_TOKENS tokens in turn (issuing one per
        request would load the authorization server more than the scenario). None, with the reason
        printed, when this build's resource server introspects them instead."""
        tokens = [issue_token(self.token_endpoint, client) for _ in range(JWT_TOKENS)]
        reason = self._not_validated_locally(rs, tokens[:3])
        if reason:
            print(f"(g) not run: {reason}", flush=True)
            return None
        server = self.processes.start(self.resource_server("resource-jwt", rs, 0))
        tokens_file = self.instance.root / "jwt-tokens.txt"
        tokens_file.touch(mode=0o600)
        tokens_file.write_text("\n".join(tokens) + "\n")
        request = Request(server.url + "/v1/me", tokens_file=str(tokens_file))
        return Scenario("g", "GET /v1/me, JWT validated locally", request, (server,))

    def _not_validated_locally(self, rs: Credentials, tokens: list[str]) -> str | None:
        """Asks a one-process resource server: whether it introspected is in its /metrics."""
        if not all(token.count(".") == 2 for token in tokens):
            return "the client's access tokens are not JWTs"
        probe = self.processes.start(self.resource_server("resource-jwt-probe", rs, 0, workers=1))
        try:
            for token in tokens:
                status, payload = get_json(probe.url + "/v1/me", f"Bearer {token}")
                if status != 200:
                    return f"GET /v1/me with a JWT access token answered {status}: {payload}"
            introspected = introspection_calls(probe.url)
        finally:
            self.processes.stop(probe.process)
        if introspected:
            return f"the resource server introspected {introspected:.0f} of {len(tokens)} JWT access tokens"
        return None

    def peer_scenarios(self) -> list[Scenario]:
        return [] if self.peer is None else peer_scenarios(self.peer, self.peer_client)

    def scale_out_scenarios(self, bench: Credentials, rs: Credentials, counts: tuple[int, ...]) -> list[Scenario]:
        """(a) and (b) on authorization servers of 1, 2, 4 … worker processes, and on two servers of
        one worker each on different ports with the load split between them (as two hosts behind
        a balancer), all on the same database and Redis."""
        token = issue_token(self.token_endpoint, bench)
        token_path = self.token_endpoint.removeprefix(self.instance.issuer)
        introspection_path = self.introspection_endpoint.removeprefix(self.instance.issuer)

        def token_on(server: Server) -> Request:
            return Request(server.url + token_path, "POST", TOKEN_FORM, bench.basic)

        def introspection_on(server: Server) -> Request:
            return Request(server.url + introspection_path, "POST", f"token={token}", rs.basic)

        scenarios = []
        for workers in counts:
            server = self.start_more_auth(f"authserver-{workers}w", workers)
            scenarios += [
                Scenario(f"a{workers}", f"token, {workers} worker(s)", token_on(server), (server,)),
                Scenario(f"b{workers}", f"introspection, {workers} worker(s)", introspection_on(server), (server,)),
            ]
        first, second = (self.start_more_auth(f"authserver-pair-{n}", 1) for n in (1, 2))
        scenarios += [
            Scenario("a1+1", "token, 2 servers x 1 worker", token_on(first), (first, second), (token_on(second),)),
            Scenario(
                "b1+1",
                "introspection, 2 servers x 1 worker",
                introspection_on(first),
                (first, second),
                (introspection_on(second),),
            ),
        ]
        return scenarios + [self.ceiling()]

    def start_more_auth(self, name: str, workers: int) -> Server:
        settings = dataclasses.replace(self.settings, workers=workers)
        server = self.processes.start(Server(name, "authserver.wsgi:app", free_port(), self.instance.env, settings))
        self.more_auth.append(server)
        return server

    def crash_and_restart(self) -> None:
        """SIGKILL both apps (no graceful shutdown, as in a crash) and start them again on the same ports."""
        servers = (self.resource, self.resource_uncached, self.auth)
        for server in servers:
            self.processes.stop(server.process, kill=True)
        for server in reversed(servers):
            self.processes.start(server)


def peer_scenarios(server: Server, client: Credentials) -> list[Scenario]:
    """The peer's token issuance and introspection: the same form, the same Basic authentication."""
    token_request = peer.token_request(server, client, TOKEN_FORM)
    fields = {"grant_type": "client_credentials", "scope": BENCH_SCOPE}
    status, payload = post_form(token_request.url, fields, client.basic)
    if status != 200 or "access_token" not in payload:
        raise BenchError(f"the peer's token endpoint answered {status}: {payload}")
    introspection = peer.introspection_request(server, client, payload["access_token"])
    return [
        Scenario("pa", "oidc-provider token (peer)", token_request, (server,)),
        Scenario("pb", "oidc-provider introspection (peer)", introspection, (server,)),
    ]


def introspection_calls(origin: str) -> float:
    """How many token validations a resource-server process answered by introspection so far."""
    with urllib.request.urlopen(origin + "/metrics", timeout=10) as response:
        text = response.read().decode()
    for line in text.splitlines():
        if line.startswith('resource_introspection_cache_total{result="miss"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
