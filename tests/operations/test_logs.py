"""Logs: one JSON object per line, a request id shared by both apps' lines for one API call, and
not one token or secret of a whole flow in anything logged, even at DEBUG."""

from __future__ import annotations

import io
import json
import logging

import pytest
import requests

from shared.logging import log_handler
from tests.resource.e2e import ALL
from tests.support.oauth import CALLBACK
from tests.support.oauth import exchange_code
from tests.support.oauth import introspect
from tests.support.oauth import refresh


@pytest.fixture
def captured():
    """Everything logged from now on, through the handler production uses, at ``level``."""
    buffer = io.StringIO()
    handler = log_handler(buffer)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    yield buffer, root
    root.removeHandler(handler)
    root.setLevel(level)


def lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_one_request_id_across_both_apps(stack, captured):
    buffer, _ = captured
    token = stack.token()
    response = requests.get(
        stack.resource.url + "/v1/models",
        timeout=10,
        headers={"Authorization": f"Bearer {token}", "X-Request-Id": "trace-42.a:b"},
    )
    assert response.status_code == 200 and response.headers["X-Request-Id"] == "trace-42.a:b"
    messages = [line["message"] for line in lines(buffer) if line.get("request_id") == "trace-42.a:b"]
    # The resource server's own line and the authorization server's, for the introspection it asked.
    assert any("/v1/models" in message for message in messages), messages
    assert any("/oauth/introspect" in message for message in messages), messages

    for unusable in ("has space", "x" * 129, 'quote"d'):
        answered = requests.get(stack.resource.url + "/v1/models", headers={"X-Request-Id": unusable}, timeout=10)
        assert len(answered.headers["X-Request-Id"]) == 32 and answered.headers["X-Request-Id"] != unusable


def test_no_token_or_secret_of_a_full_flow_is_logged(stack, captured):
    buffer, root = captured
    root.setLevel(logging.DEBUG)
    auth = stack.auth
    app_client = auth.client(redirect_uri=CALLBACK, scope="openid offline_access " + ALL, name="Web app")
    user = auth.user()
    browser = auth.browser()
    browser.login(user)
    code, verifier = browser.authorization_code(app_client, scope="openid " + ALL)
    issued = exchange_code(auth, app_client, code, verifier).json()
    renewed = refresh(auth, app_client, issued["refresh_token"]).json()
    service_token = stack.token()
    for token in (renewed["access_token"], service_token):
        assert stack.get("/v1/me", token).status_code == 200
        assert introspect(auth, stack.resource_client, token).json()["active"] is True
    assert (
        stack.post(
            "/v1/chat/completions",
            renewed["access_token"],
            {"model": "demo-chat", "messages": [{"role": "user", "content": "hi"}]},
        ).status_code
        == 200
    )
    stack.revoke(service_token)
    assert introspect(auth, stack.resource_client, service_token).json()["active"] is False

    secrets = {
        "authorization code": code,
        "code verifier": verifier,
        "user password": user.password,
        "client secret": app_client.client_secret,
        "partner secret": stack.partner.client_secret,
        "resource server secret": stack.resource_client.client_secret,
        "service token": service_token,
        **{
            f"{name} ({when})": answer[name]
            for when, answer in (("issued", issued), ("renewed", renewed))
            for name in ("access_token", "refresh_token", "id_token")
            if name in answer
        },
    }
    logged = buffer.getvalue()
    assert len(lines(buffer)) > 20  # the flow was logged, at DEBUG, by both apps
    leaked = [name for name, secret in secrets.items() if secret and secret in logged]
    assert leaked == []
