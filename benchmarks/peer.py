"""The peer: node oidc-provider (``benchmarks/peer/server.js``) in memory, loaded like our servers.

Its packages are installed from ``benchmarks/peer/package-lock.json`` by the bench's install step
(``scripts/install-system-deps.sh bench`` runs ``npm ci``); nothing is downloaded while measuring.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from dataclasses import dataclass

from benchmarks.instance import BENCH_SCOPE
from benchmarks.instance import Credentials
from benchmarks.load import Request
from benchmarks.procs import PROJECT_ROOT
from benchmarks.procs import BenchError
from benchmarks.procs import Server
from benchmarks.servers import ServerSettings

PEER_DIR = PROJECT_ROOT / "benchmarks" / "peer"
TOKEN_PATH = "/token"
INTROSPECTION_PATH = "/token/introspection"


# oidc-provider 9 runs on node 20.19 and later (it recommends 22).
NODE_AT_LEAST = (20, 19)


def node() -> str:
    found = shutil.which("node")
    if found is None:
        raise BenchError("node is not installed (scripts/install-system-deps.sh bench installs it), or pass --no-peer")
    version = subprocess.run([found, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    if tuple(int(part) for part in version.lstrip("v").split(".")[:2]) < NODE_AT_LEAST:
        raise BenchError(f"node {version} is too old for oidc-provider 9 (20.19 or later), or pass --no-peer")
    if not (PEER_DIR / "node_modules" / "oidc-provider").is_dir():
        raise BenchError(
            f"oidc-provider is not installed in {PEER_DIR} (scripts/install-system-deps.sh bench runs npm ci), "
            "or pass --no-peer"
        )
    return found


def node_version() -> str:
    return subprocess.run([node(), "--version"], capture_output=True, text=True, check=True).stdout.strip()


def oidc_provider_version() -> str:
    return json.loads((PEER_DIR / "node_modules" / "oidc-provider" / "package.json").read_text())["version"]


@dataclass
class PeerServer(Server):
    """One node process: the in-memory adapter is per process, so a cluster could not introspect
    tokens another process issued."""

    def command(self) -> list[str]:
        return [node(), str(PEER_DIR / "server.js")]


def peer_server(port: int, base_env: dict[str, str]) -> tuple[PeerServer, Credentials]:
    client = Credentials("bench-peer", secrets.token_urlsafe(32))
    env = dict(
        base_env,
        PEER_PORT=str(port),
        PEER_CLIENT_ID=client.client_id,
        PEER_CLIENT_SECRET=client.client_secret,
        PEER_SCOPE=BENCH_SCOPE,
        NODE_ENV="production",
    )
    server = PeerServer(
        "oidc-provider", "server.js", port, env, ServerSettings(), ready_path="/.well-known/openid-configuration"
    )
    return server, client


def token_request(server: Server, client: Credentials, form: str) -> Request:
    return Request(server.url + TOKEN_PATH, "POST", form, client.basic)


def introspection_request(server: Server, client: Credentials, token: str) -> Request:
    return Request(server.url + INTROSPECTION_PATH, "POST", f"token={token}", client.basic)
