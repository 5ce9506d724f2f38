"""``POST /mcp`` (MCP streamable HTTP, one JSON answer per POST) in front of a scripted
introspection server: the protocol, and the same token, scope, rate-limit and metering rules as /v1."""

from __future__ import annotations

import requests

from tests.resource.test_metering import totals
from tests.resource.test_metering import wait_for

ALL = "models:read embeddings:create chat:create"


def post(server, token: str | None, body, **headers) -> requests.Response:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, bytes) else None
    return requests.post(
        server.url + "/mcp",
        json=None if data else body,
        data=data,
        timeout=10,
        headers={"Accept": "application/json, text/event-stream", **headers},
    )


def rpc(server, token, method: str, params: dict | None = None, request_id=1) -> requests.Response:
    body = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        body["params"] = params
    return post(server, token, body)


def call(server, token, name: str, arguments: dict) -> requests.Response:
    return rpc(server, token, "tools/call", {"name": name, "arguments": arguments})


def test_initialize_list_tools_and_call_each(resource, fake_as):
    token = fake_as.grant("agent", ALL)
    hello = rpc(
        resource,
        token,
        "initialize",
        {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}},
    )
    assert hello.status_code == 200 and hello.headers["Content-Type"] == "application/json"
    result = hello.json()["result"]
    assert hello.json()["id"] == 1 and result["protocolVersion"] == "2025-06-18"
    assert result["capabilities"] == {"tools": {"listChanged": False}}
    assert post(resource, token, {"jsonrpc": "2.0", "method": "notifications/initialized"}).status_code == 202

    tools = rpc(resource, token, "tools/list", request_id="two").json()
    assert tools["id"] == "two"
    assert [tool["name"] for tool in tools["result"]["tools"]] == ["list_models", "embed", "chat"]
    assert all(tool["inputSchema"]["type"] == "object" for tool in tools["result"]["tools"])

    models = call(resource, token, "list_models", {}).json()["result"]
    assert models["isError"] is False and "demo-chat" in models["structuredContent"]["models"]
    embedded = call(resource, token, "embed", {"input": "one two"}).json()["result"]
    assert len(embedded["structuredContent"]["embedding"]) == 384
    chat = call(resource, token, "chat", {"messages": [{"role": "user", "content": "hello there"}]}).json()["result"]
    assert chat["isError"] is False and chat["structuredContent"]["content"]
    assert chat["content"][0]["type"] == "text"
    assert rpc(resource, token, "ping").json() == {"jsonrpc": "2.0", "id": 1, "result": {}}


def test_without_a_token_401_names_the_metadata_and_every_tool_scope(resource):
    response = rpc(resource, None, "tools/list")
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="invalid_token"' in challenge and f'scope="{ALL}"' in challenge
    assert f'resource_metadata="{resource.url}/.well-known/oauth-protected-resource"' in challenge


def test_a_tool_outside_the_tokens_scopes_is_403_insufficient_scope(resource, fake_as):
    token = fake_as.grant("reader", "models:read")
    assert call(resource, token, "list_models", {}).status_code == 200
    refused = call(resource, token, "chat", {"messages": [{"role": "user", "content": "hi"}]})
    assert refused.status_code == 403
    assert refused.headers["WWW-Authenticate"] == (
        f'Bearer error="insufficient_scope", scope="chat:create", '
        f'resource_metadata="{resource.url}/.well-known/oauth-protected-resource"'
    )


def test_a_token_for_another_resource_is_401(resource, fake_as):
    token = fake_as.grant("elsewhere", ALL, aud=["https://other.example"])
    response = rpc(resource, token, "tools/list")
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_protocol_errors_in_json_rpc_shape(resource, fake_as):
    token = fake_as.grant("agent", ALL)
    unknown_method = rpc(resource, token, "resources/list", {}).json()
    assert unknown_method["error"]["code"] == -32601 and unknown_method["id"] == 1
    unknown_tool = call(resource, token, "shell", {}).json()
    assert unknown_tool["error"]["code"] == -32602
    bad_params = rpc(resource, token, "tools/call", {"arguments": {}}).json()
    assert bad_params["error"]["code"] == -32602
    not_json = post(resource, token, b"{nope")
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == -32700
    assert not_json.json()["id"] is None
    batch = post(resource, token, [{"jsonrpc": "2.0", "id": 1, "method": "ping"}])
    assert batch.status_code == 400 and batch.json()["error"]["code"] == -32600
    assert requests.get(resource.url + "/mcp", timeout=10).status_code == 405
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    assert post(resource, token, ping, **{"MCP-Protocol-Version": "2025-06-18"}).status_code == 200
    unsupported = post(resource, token, ping, **{"MCP-Protocol-Version": "1999-01-01"})
    assert unsupported.status_code == 400 and unsupported.json()["error"]["code"] == -32600


def test_bad_tool_arguments_are_a_tool_error_the_model_can_read(resource, fake_as):
    token = fake_as.grant("agent", ALL)
    result = call(resource, token, "embed", {"input": ""}).json()["result"]
    assert result["isError"] is True and "'input'" in result["content"][0]["text"]
    result = call(resource, token, "chat", {"messages": [], "model": "no-such-model"}).json()["result"]
    assert result["isError"] is True


def test_rate_limits_count_every_message(fake_as, start_resource):
    server = start_resource(fake_as.url, rate_limit_per_minute=2)
    token = fake_as.grant("busy", ALL)
    first = rpc(server, token, "ping")
    assert first.headers["X-RateLimit-Limit"] == "2" and first.headers["X-RateLimit-Remaining"] == "1"
    assert call(server, token, "list_models", {}).status_code == 200
    limited = call(server, token, "list_models", {})
    assert limited.status_code == 429


def test_tool_calls_are_metered_like_the_apis(fake_as, start_resource):
    server = start_resource(fake_as.url, usage_flush_interval=0.1)
    token = fake_as.grant("metered", ALL, sub="alice", client_id="agent")
    call(server, token, "chat", {"messages": [{"role": "user", "content": "a b c"}], "model": "demo-chat"})
    call(server, token, "embed", {"input": ["one two"]})
    wait_for(lambda: sum(row["requests"] for row in fake_as.usage) == 2)
    summed = totals(fake_as.usage)
    assert summed[("agent", "alice", "mcp.chat", "demo-chat")][:2] == [1, 3]
    assert summed[("agent", "alice", "mcp.embed", "lexical-hash-384")] == [1, 2, 0]


def test_malformed_messages_count_against_the_rate_limit_too(fake_as, start_resource):
    server = start_resource(fake_as.url, rate_limit_per_minute=1)
    token = fake_as.grant("sloppy", ALL)
    assert post(server, token, b"{nope").status_code == 400
    assert rpc(server, token, "ping").status_code == 429
