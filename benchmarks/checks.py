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


def introspect(stack: Stack, rs: Credentials, token: str) -> dict:
    status, payload = post_form(stack.introspection_endpoint, {"token": token}, rs.basic)
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
    token = issue_token(stack.token_endpoint, bench)
    for _ in range(FRESH_CONNECTIONS // 4):
        introspect(stack, rs, token)  # warm whatever a worker might cache
    status, payload = post_form(stack.revocation_endpoint, {"token": token}, bench.basic)
    if status != 200:
        return [f"revocation: POST {stack.revocation_endpoint} answered {status}: {payload}"]
    still_active = sum(introspect(stack, rs, token).get("active") is not False for _ in range(FRESH_CONNECTIONS))
    if still_active:
        return [f"revocation: {still_active}/{FRESH_CONNECTIONS} introspections after revocation were not inactive"]
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
