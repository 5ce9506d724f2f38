"""A throwaway deployment: its environment, its database and its clients, made through the admin CLI."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from benchmarks.procs import PROJECT_ROOT
from benchmarks.procs import VENV_BIN
from benchmarks.procs import BenchError

BENCH_SCOPE = "models:read"
METADATA_PATH = "/.well-known/oauth-authorization-server"


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str

    @property
    def basic(self) -> str:
        """RFC 6749 section 2.3.1: both parts form-urlencoded before base64."""
        pair = f"{urllib.parse.quote(self.client_id, safe='')}:{urllib.parse.quote(self.client_secret, safe='')}"
        return "Basic " + base64.b64encode(pair.encode()).decode()


class Instance:
    def __init__(self, root: Path, database_url: str | None, redis_url: str | None, auth_port: int):
        self.root = root
        self.instance_path = root / "instance"
        self.instance_path.mkdir(parents=True, exist_ok=True)
        self.issuer = f"http://127.0.0.1:{auth_port}"
        self.env: dict[str, str] = {
            "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(root),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(PROJECT_ROOT),
            "AUTHSERVER_INSTANCE_PATH": str(self.instance_path),
            "AUTHSERVER_ISSUER": self.issuer,
            "AUTHSERVER_SECRET_KEY": secrets.token_urlsafe(32),
            "RESOURCE_ISSUER": self.issuer,
        }
        if database_url:
            self.env["AUTHSERVER_DATABASE_URL"] = database_url
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        else:
            # Several resource-server workers without Redis, each counting limits alone (resource/workers.py).
            self.env["RESOURCE_LOCAL_LIMITS"] = "1"

    def manage(self, *args: str) -> str:
        completed = subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if completed.returncode != 0:
            raise BenchError(
                f"manage.py {args[0]} {args[1] if len(args) > 1 else ''} failed: {completed.stderr.strip()}"
            )
        return completed.stdout

    def prepare(self) -> tuple[Credentials, Credentials]:
        """Migrates, adds the scope, and returns the (benchmark client, resource server) credentials."""
        self.manage("db", "upgrade")
        self.manage("scopes", "add", BENCH_SCOPE, "--description", "List the available models")
        bench = self._client(
            "clients", "add", "--name", "bench", "--grant-type", "client_credentials", "--scope", BENCH_SCOPE, "--json"
        )
        resource = self._client("clients", "add", "--name", "rs", "--resource-server", "--json")
        return bench, resource

    def jwt_client(self) -> Credentials | None:
        """A client whose access tokens are JWTs (RFC 9068), or None when this build has no such
        option (scenario (g) then does not run, and says so)."""
        if "--access-token-format" not in self.manage("clients", "add", "--help"):
            return None
        return self._client(
            "clients",
            "add",
            "--name",
            "bench-jwt",
            "--grant-type",
            "client_credentials",
            "--scope",
            BENCH_SCOPE,
            "--access-token-format",
            "jwt",
            "--json",
        )

    def _client(self, *args: str) -> Credentials:
        payload = json.loads(self.manage(*args))
        if not payload.get("client_id") or not payload.get("client_secret"):
            raise BenchError(f"manage.py {' '.join(args[:2])} printed no client_id/client_secret: {payload}")
        return Credentials(payload["client_id"], payload["client_secret"])

    def resource_env(self, resource: Credentials, cache_ttl: int) -> dict[str, str]:
        # One client sends every request, so the per-client rate limit is raised out of the way;
        # it is still counted on each request, as in production.
        return dict(
            self.env,
            RESOURCE_CLIENT_ID=resource.client_id,
            RESOURCE_CLIENT_SECRET=resource.client_secret,
            RESOURCE_CACHE_TTL=str(cache_ttl),
            RESOURCE_RATE_LIMIT_PER_MINUTE=str(10**9),
        )


def discover(issuer: str) -> dict:
    """RFC 8414 metadata; a missing endpoint is a clear failure, never a silently skipped scenario."""
    url = issuer + METADATA_PATH
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            metadata = json.load(response)
    except urllib.error.HTTPError as exc:
        raise BenchError(
            f"no authorization server metadata at {url} (HTTP {exc.code}): "
            "the OAuth2 protocol core is missing, so scenarios (a)-(d) cannot run"
        ) from None
    for name in ("token_endpoint", "introspection_endpoint", "revocation_endpoint"):
        if not metadata.get(name):
            raise BenchError(f"the metadata at {url} has no {name}")
    return metadata


def post_form(url: str, fields: dict[str, str], authorization: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(fields).encode(),
        method="POST",
        headers={"Authorization": authorization, "Content-Type": "application/x-www-form-urlencoded"},
    )
    return _send(request)


def get_json(url: str, authorization: str) -> tuple[int, dict]:
    return _send(urllib.request.Request(url, headers={"Authorization": authorization}))


def _send(request: urllib.request.Request) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body or b"{}")
        except ValueError:
            return exc.code, {"raw": body[:300].decode(errors="replace")}


def issue_token(token_endpoint: str, client: Credentials) -> str:
    status, payload = post_form(
        token_endpoint, {"grant_type": "client_credentials", "scope": BENCH_SCOPE}, client.basic
    )
    if status != 200 or "access_token" not in payload:
        raise BenchError(f"POST {token_endpoint} (client_credentials) answered {status}: {payload}")
    return payload["access_token"]
