"""Helpers for tests of apps registered from metadata (portal, registration API) and of caches catching up."""

from __future__ import annotations

import time

import requests


def client_credentials(live_auth, client_id: str, secret: str, **data) -> requests.Response:
    """A client-credentials token request with HTTP Basic authentication; ``data`` adds parameters."""
    return requests.post(
        live_auth.token_endpoint,
        data={"grant_type": "client_credentials", **data},
        auth=(client_id, secret),
        timeout=10,
    )


def eventually(condition, seconds: float = 5.0) -> bool:
    """Whether ``condition()`` becomes true: changes reach a running server's caches within a second,
    and a busy test machine gets some slack on top."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
