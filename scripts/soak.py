"""make soak: both apps under granian (several workers each) on PostgreSQL and Redis, loaded on loopback
for a few minutes by concurrent client-credentials grants, refreshes, introspections, revocations and
API calls; then its figures. Fails (exit 1) on any 5xx, a token issued twice or lost, or a
revocation that some worker still honours once the cache TTL has passed.

    python scripts/soak.py [--duration 180] [--workers 2] [--threads 8] [--cache-ttl 5]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.servers import ServerSettings  # noqa: E402
from tests.support.accounts import csrf_token  # noqa: E402
from tests.support.oauth import pkce_pair  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402
from tests.support.postgres import admin  # noqa: E402
from tests.support.postgres import free_port  # noqa: E402
from tests.support.redis import RedisServer  # noqa: E402

CALLBACK = "http://127.0.0.1:9/callback"
PASSWORD = "soak password, long enough"


class Figures:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: collections.Counter[str] = collections.Counter()
        self.statuses: collections.Counter[tuple[str, int]] = collections.Counter()
        self.issued: collections.Counter[str] = collections.Counter()
        self.problems: list[str] = []
        self.revocations: list[float] = []

    def saw(self, kind: str, response: requests.Response) -> requests.Response:
        with self.lock:
            self.calls[kind] += 1
            self.statuses[(kind, response.status_code)] += 1
            if response.status_code >= 500:
                self.problems.append(f"{kind}: {response.status_code} {response.text[:200]}")
        return response

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


def manage(env: dict, *args: str) -> dict | list:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args[:2])}: {done.stderr.strip()}")
    return json.loads(done.stdout) if "--json" in args else {}


def serve(env: dict, target: str, port: int, workers: int, log: Path) -> subprocess.Popen:
    granian = ServerSettings("granian", workers, threads=4).command(target, port)
    process = subprocess.Popen(granian, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{target} did not start; see {log}")
            time.sleep(0.2)


def user_refresh_token(issuer: str, client: dict, email: str) -> str:
    """Sign in through the login form, allow on the consent page, exchange the code: a refresh token."""
    browser = requests.Session()
    page = browser.get(issuer + "/login", timeout=10)
    browser.post(
        issuer + "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(page.text)}, timeout=10
    )
    verifier, challenge = pkce_pair()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": CALLBACK,
            "scope": "openid models:read",
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    response = browser.get(f"{issuer}/oauth/authorize?{query}", allow_redirects=False, timeout=10)
    if response.status_code == 200:  # the consent page
        action = re.search(r'<form method="post" action="([^"]+)"', response.text).group(1).replace("&amp;", "&")
        response = browser.post(
            issuer + action if action.startswith("/") else action,
            allow_redirects=False,
            data={"csrf_token": csrf_token(response.text), "decision": "allow"},
            timeout=10,
        )
    code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    tokens = requests.post(
        issuer + "/oauth/token",
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier},
    ).json()
    return tokens["refresh_token"]


def load(
    args,
    issuer: str,
    api: str,
    partner: dict,
    rs: dict,
    web: dict,
    refresh_token: str,
    figures: Figures,
    stop: float,
    live: list,
    revoked: list,
) -> None:
    http = requests.Session()
    basic = (partner["client_id"], partner["client_secret"])
    while time.monotonic() < stop:
        roll = random.random()
        if roll < 0.25:
            response = figures.saw(
                "grant",
                http.post(
                    issuer + "/oauth/token",
                    auth=basic,
                    timeout=30,
                    data={"grant_type": "client_credentials", "scope": "models:read"},
                ),
            )
            if response.status_code == 200:
                token = response.json()["access_token"]
                with figures.lock:
                    figures.issued[token] += 1
                    live.append(token)
        elif roll < 0.35:
            response = figures.saw(
                "refresh",
                http.post(
                    issuer + "/oauth/token",
                    timeout=30,
                    auth=(web["client_id"], web["client_secret"]),
                    data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                ),
            )
            if response.status_code != 200:
                figures.problem(f"refresh lost: {response.status_code} {response.text[:200]}")
                return
            answer = response.json()
            refresh_token = answer["refresh_token"]
            with figures.lock:
                figures.issued[answer["access_token"]] += 1
                figures.issued[refresh_token] += 1
        elif roll < 0.40 and live:
            with figures.lock:
                token = live.pop(random.randrange(len(live)))
            figures.saw("revoke", http.post(issuer + "/oauth/revoke", auth=basic, data={"token": token}, timeout=30))
            with figures.lock:
                revoked.append((token, time.monotonic()))
        elif roll < 0.55 and live:
            token = random.choice(live)
            response = figures.saw(
                "introspect",
                http.post(
                    issuer + "/oauth/introspect",
                    timeout=30,
                    auth=(rs["client_id"], rs["client_secret"]),
                    data={"token": token},
                ),
            )
            if response.status_code == 200 and response.json().get("active") is not True and token in live:
                figures.problem("a live token introspected inactive")
        elif live:
            token = random.choice(live)
            response = figures.saw(
                "api", http.get(api + "/v1/models", timeout=30, headers={"Authorization": f"Bearer {token}"})
            )
            if response.status_code == 401 and token in live:
                figures.problem("a live token was refused by the API")


def check_revocations(api: str, revoked: list, ttl: float, figures: Figures) -> int:
    """Every revoked token, once the TTL has passed, is refused by every worker (new connections)."""
    checked = 0
    for token, when in revoked:
        time.sleep(max(0.0, when + ttl + 0.5 - time.monotonic()))
        for _ in range(4):
            response = figures.saw(
                "api-after-revoke",
                requests.get(
                    api + "/v1/models", headers={"Authorization": f"Bearer {token}", "Connection": "close"}, timeout=30
                ),
            )
            if response.status_code != 401:
                figures.problem(f"a revoked token answered {response.status_code} {ttl} s after its revocation")
        checked += 1
    return checked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=180)
    parser.add_argument("--workers", type=int, default=2, help="granian workers per app")
    parser.add_argument("--threads", type=int, default=8, help="concurrent load threads")
    parser.add_argument("--cache-ttl", type=int, default=5)
    args = parser.parse_args()
    random.seed(20261204)
    root = Path(tempfile.mkdtemp(prefix="soak-"))
    postgres, redis_server, servers = PostgresServer().start(), RedisServer().start(), []
    try:
        admin(postgres.url, "CREATE DATABASE soak")
        auth_port, api_port = free_port(), free_port()
        issuer, api = f"http://127.0.0.1:{auth_port}", f"http://127.0.0.1:{api_port}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AUTHSERVER_", "RESOURCE_", "REDIS_"))},
            "AUTHSERVER_DATABASE_URL": f"{postgres.url}/soak",
            "REDIS_URL": redis_server.url,
            "AUTHSERVER_INSTANCE_PATH": str(root / "instance"),
            "AUTHSERVER_SECRET_KEY": "soak-" + os.urandom(8).hex(),
            "AUTHSERVER_ISSUER": issuer,
            "RESOURCE_ISSUER": issuer,
            "RESOURCE_CACHE_TTL": str(args.cache_ttl),
            "RESOURCE_RATE_LIMIT_PER_MINUTE": "0",
        }
        manage(env, "db", "upgrade")
        manage(env, "scopes", "add", "models:read", "--description", "List models")
        rs = manage(
            env, "clients", "add", "--name", "resource", "--resource-server", "--scope", "models:read", "--json"
        )
        partner = manage(env, "clients", "add", "--name", "partner", "--scope", "models:read", "--json")
        web = manage(
            env,
            "clients",
            "add",
            "--name",
            "web",
            "--redirect-uri",
            CALLBACK,
            "--scope",
            "openid models:read",
            "--json",
        )
        subprocess.run(
            [sys.executable, "manage.py", "users", "add", "--email", "soak@example.com", "--password-stdin"],
            cwd=ROOT,
            env=env,
            input=PASSWORD,
            check=True,
            capture_output=True,
            text=True,
        )
        for name, port, target in (
            ("auth", auth_port, "authserver.wsgi:app"),
            ("resource", api_port, "resource.wsgi:app"),
        ):
            multiproc = root / f"prometheus-{name}"
            multiproc.mkdir()
            app_env = {
                **env,
                "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
                "RESOURCE_CLIENT_ID": rs["client_id"],
                "RESOURCE_CLIENT_SECRET": rs["client_secret"],
            }
            servers.append(serve(app_env, target, port, args.workers, root / f"{name}.log"))

        figures, live, revoked = Figures(), [], []
        refresh_tokens = [user_refresh_token(issuer, web, "soak@example.com") for _ in range(args.threads)]
        started = time.monotonic()
        stop = started + args.duration
        threads = [
            threading.Thread(
                target=load, args=(args, issuer, api, partner, rs, web, refresh_tokens[i], figures, stop, live, revoked)
            )
            for i in range(args.threads)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        checked = check_revocations(api, revoked, args.cache_ttl, figures)
        # No token lost: every token issued and not revoked is still active.
        sample = live[:: max(1, len(live) // 200)]
        for token in sample:
            answer = requests.post(
                issuer + "/oauth/introspect",
                auth=(rs["client_id"], rs["client_secret"]),
                data={"token": token},
                timeout=30,
            ).json()
            if answer.get("active") is not True:
                figures.problem("an unrevoked token was lost")
        twice = sum(1 for count in figures.issued.values() if count > 1)
        fives = sum(count for (_, status), count in figures.statuses.items() if status >= 500)
        print(
            f"soak: {elapsed:.0f} s, {args.workers} granian workers per app, {args.threads} threads, "
            f"PostgreSQL + Redis, cache TTL {args.cache_ttl} s"
        )
        for kind, count in sorted(figures.calls.items()):
            by_status = ", ".join(f"{status}: {n}" for (k, status), n in sorted(figures.statuses.items()) if k == kind)
            print(f"  {kind:18s} {count:7d}  ({count / elapsed:6.1f}/s)  {by_status}")
        print(
            f"  5xx answers: {fives}; tokens issued: {len(figures.issued)}, issued twice: {twice}; "
            f"unrevoked tokens checked active: {len(sample)}; revocations checked on every worker after "
            f"{args.cache_ttl} s: {checked}"
        )
        for problem in figures.problems[:20]:
            print("  PROBLEM:", problem)
        return 1 if figures.problems or twice or fives else 0
    finally:
        for server in servers:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
        redis_server.stop()
        postgres.stop()


if __name__ == "__main__":
    sys.exit(main())
