"""Correctness checks around the load: durability across a crash, revocation and admin changes
reaching every worker."""

from __future__ import annotations

import json
import time

from benchmarks.instance import Credentials
from benchmarks.instance import get_json
from benchmarks.instance import issue_token
from benchmarks.instance import post_form
from benchmarks.stack import Stack

# urllib opens a new connection per request, so this many requests reach every worker of a few.
FRESH_CONNECTIONS = 24


def tokens_from(bodies: list[str]) -> list[str]:
    tokens = []
    for body in bodies:
        try:
            tokens.append(json.loads(body)["access_token"])
        except (ValueError, KeyError, TypeError):
            continue
    return tokens


def introspect(stack: Stack, rs: Credentials, token: str, origin: str | None = None) -> dict:
    """At the authorization server, or at another one on the same database (``origin``)."""
    endpoint = stack.introspection_endpoint
    if origin is not None:
        endpoint = origin + endpoint.removeprefix(stack.instance.issuer)
    status, payload = post_form(endpoint, {"token": token}, rs.basic)
    if status != 200:
        return {"active": None, "status": status, "body": payload}
    return payload


def durability(stack: Stack, rs: Credentials, tokens: list[str]) -> list[str]:
    """Tokens issued under load still introspect active, and are accepted by the resource server,
    after both apps were killed with SIGKILL and started again."""
    if not tokens:
        return ["durability: no token was captured from the issuance load"]
    stack.crash_and_restart()
    failures = []
    for token in tokens:
        answer = introspect(stack, rs, token)
        if answer.get("active") is not True:
            failures.append(f"durability: a token issued under load introspects {answer} after a restart")
    status, payload = get_json(stack.resource.url + "/v1/me", f"Bearer {tokens[-1]}")
    if status != 200:
        failures.append(f"durability: GET /v1/me after a restart answered {status}: {payload}")
    return failures


def revocation_reaches_every_worker(stack: Stack, bench: Credentials, rs: Credentials) -> list[str]:
    """Revoked at one worker of one server: inactive at once at every worker of every authorization
    server on the database (with --scale-out, the 1, 2, 4-worker servers and the pair too)."""
    token = issue_token(stack.token_endpoint, bench)
    origins = [server.url for server in (stack.auth, *stack.more_auth)]
    for origin in origins:
        for _ in range(FRESH_CONNECTIONS // 4):
            introspect(stack, rs, token, origin)  # warm whatever a worker might cache
    status, payload = post_form(stack.revocation_endpoint, {"token": token}, bench.basic)
    if status != 200:
        return [f"revocation: POST {stack.revocation_endpoint} answered {status}: {payload}"]
    for origin in origins:
        still_active = sum(
            introspect(stack, rs, token, origin).get("active") is not False for _ in range(FRESH_CONNECTIONS)
        )
        if still_active:
            return [
                f"revocation: {still_active}/{FRESH_CONNECTIONS} introspections at {origin} after revocation "
                "were not inactive"
            ]
    status, _ = get_json(stack.resource_uncached.url + "/v1/me", f"Bearer {token}")
    if status != 401:
        return [f"revocation: the resource server (cache off) answered {status} for a revoked token"]
    return []


def disabled_client_refused_within_a_second(stack: Stack, bench: Credentials) -> list[str]:
    """The contract: an admin change reaches running servers within one second."""
    issue_token(stack.token_endpoint, bench)  # let every cache hold the client as enabled
    stack.instance.manage("clients", "disable", bench.client_id)
    time.sleep(1.1)
    accepted = 0
    for _ in range(FRESH_CONNECTIONS):
        status, _ = post_form(stack.token_endpoint, {"grant_type": "client_credentials"}, bench.basic)
        accepted += status == 200
    if accepted:
        return [
            f"admin change: {accepted}/{FRESH_CONNECTIONS} token requests of a disabled client succeeded after 1.1 s"
        ]
    return []


# A short cache lifetime, so that the check waits seconds, not the bench's 60.
CHECK_CACHE_TTL = 3


def revocation_reaches_every_cached_worker(
    stack: Stack, bench: Credentials, rs: Credentials, workers: int
) -> list[str]:
    """A caching resource server of ``workers`` processes (sharing answers through Redis when the
    run has it) refuses a revoked token at every worker within the cache lifetime of the revocation:
    an answer is kept until a deadline fixed when it was introspected, by every process alike."""
    server = stack.processes.start(stack.resource_server("resource-check", rs, CHECK_CACHE_TTL, workers))
    token = issue_token(stack.token_endpoint, bench)
    bearer = f"Bearer {token}"
    calls = 4 * FRESH_CONNECTIONS
    accepted = sum(get_json(server.url + "/v1/me", bearer)[0] == 200 for _ in range(calls))
    if accepted != calls:
        return [f"revocation (cached): only {accepted}/{calls} calls accepted a valid token before revocation"]
    status, payload = post_form(stack.revocation_endpoint, {"token": token}, bench.basic)
    if status != 200:
        return [f"revocation: POST {stack.revocation_endpoint} answered {status}: {payload}"]
    revoked_at = time.monotonic()
    deadline = revoked_at + CHECK_CACHE_TTL + 1
    while True:
        refused = sum(get_json(server.url + "/v1/me", bearer)[0] == 401 for _ in range(calls))
        if refused == calls:
            print(
                f"checks: a revoked token was refused by every worker of a {workers}-process resource server "
                f"{time.monotonic() - revoked_at:.1f} s after its revocation (cache lifetime "
                f"{CHECK_CACHE_TTL} s)",
                flush=True,
            )
            return []
        if time.monotonic() > deadline:
            return [
                f"revocation (cached): {calls - refused}/{calls} calls still accepted a token "
                f"{CHECK_CACHE_TTL + 1} s after its revocation ({workers} worker processes)"
            ]
        time.sleep(0.1)
