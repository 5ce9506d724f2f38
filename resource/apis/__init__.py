"""One module per API; what they share is here: the app's state, the JSON body, metering."""

from __future__ import annotations

import json

from flask import current_app
from flask import g
from flask import request

from resource.errors import bad_request
from resource.limits import input_over_quota


def state():
    return current_app.extensions["resource"]


def _not_json(constant: str):
    # NaN and Infinity are not JSON (RFC 8259 §6): they would slip past range checks and break forwarding.
    raise ValueError(constant)


def json_body() -> dict:
    try:
        body = json.loads(request.get_data(), parse_constant=_not_json)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        body = None
    if not isinstance(body, dict):
        raise bad_request("We could not parse the JSON body of your request: send a JSON object.")
    return body


def require_string(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise bad_request(f"'{name}' is required and must be a non-empty string.", param=name)
    return value


def account(
    endpoint: str,
    model: str | None,
    tokens_in: int,
    tokens_out: int,
    info=None,
    resources=None,
    scopes: tuple[str, ...] | None = None,
) -> None:
    """Charge the daily token quota and meter the call; never fails the request.

    A stream finishes after its request context is gone, so it passes what it needs explicitly.
    """
    info = info or g.token
    resources = resources or state()
    scopes = g.required_scopes if scopes is None else scopes
    resources.limiter.charge(info, tokens_in + tokens_out, scopes)
    resources.meter.record(
        client_id=info.client_id,
        user_sub=info.sub if info.sub != info.client_id else None,
        endpoint=endpoint,
        model=model,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
    )


def spend_at_most(prompt_tokens: int, answer_needed: bool = True) -> int | None:
    """Quotas hold before the model runs: a call whose input alone needs more than its client or
    person has left today (with room for at least one answer token, when it has an answer) is
    refused (429); otherwise what its answer may still spend (None: no daily quota applies). Input
    is counted as the built-in backends count it, in words."""
    left = state().limiter.tokens_left(g.token, g.required_scopes)
    if left is None:
        return None
    if prompt_tokens + int(answer_needed) > left:
        raise input_over_quota(prompt_tokens, left)
    return left - prompt_tokens


def cap_completion(body: dict, left: int | None) -> None:
    """An answer may not spend past the quota: ``max_tokens`` (or ``max_completion_tokens``, when the
    client used that) becomes at most what is left."""
    if left is None:
        return
    name = "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"
    body[name] = min(body.get(name) or left, left)
