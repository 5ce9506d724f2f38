"""JSON-RPC messages of the MCP handshake protocols, parsed and built with the SDK's types."""

from __future__ import annotations

import json

import mcp_types as types
from mcp_types.jsonrpc import INVALID_PARAMS
from mcp_types.jsonrpc import INVALID_REQUEST
from mcp_types.jsonrpc import METHOD_NOT_FOUND
from mcp_types.jsonrpc import PARSE_ERROR
from mcp_types.jsonrpc import ErrorData
from mcp_types.jsonrpc import JSONRPCError
from mcp_types.jsonrpc import JSONRPCRequest
from mcp_types.jsonrpc import JSONRPCResponse
from mcp_types.jsonrpc import RequestId
from mcp_types.jsonrpc import jsonrpc_message_adapter
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from mcp_types.version import LATEST_HANDSHAKE_VERSION
from pydantic import ValidationError

from resource.responses import json_response

SERVER_INFO = types.Implementation(name="ai-authserver-resource", version="1")
# What this server answers; anything else (``server/discover`` of the 2026 protocol included, so
# an SDK client in auto mode falls back to the handshake) is "method not found".
REQUESTS = {
    "initialize": types.InitializeRequest,
    "ping": types.PingRequest,
    "tools/list": types.ListToolsRequest,
    "tools/call": types.CallToolRequest,
}


class ProtocolError(Exception):
    """A JSON-RPC error answer; ``status`` 400 when there was no request to answer."""

    def __init__(self, code: int, message: str, request_id: RequestId | None = None, status: int = 200):
        super().__init__(message)
        self.error = JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=code, message=message))
        self.status = status

    def response(self):
        # JSON-RPC 2.0 §5: ``"id": null`` when the request's id could not be read; never left out.
        return json_response({**_dump(self.error), "id": self.error.id}, self.status)


def check_version(header: str | None) -> None:
    """Streamable HTTP: a request naming a protocol version we do not speak is a 400."""
    if header is not None and header not in HANDSHAKE_PROTOCOL_VERSIONS:
        raise ProtocolError(INVALID_REQUEST, f"Unsupported MCP-Protocol-Version: {header}", status=400)


def parse(body: bytes):
    """One JSON-RPC message (a request, notification or response); batches are not part of MCP."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise ProtocolError(PARSE_ERROR, "The body is not JSON.", status=400) from None
    try:
        return jsonrpc_message_adapter.validate_python(data)
    except ValidationError:
        raise ProtocolError(INVALID_REQUEST, "The body is not one JSON-RPC 2.0 message.", status=400) from None


def typed(message: JSONRPCRequest):
    """The request as the SDK's model of its method."""
    model = REQUESTS.get(message.method)
    if model is None:
        raise ProtocolError(METHOD_NOT_FOUND, f"Method not found: {message.method}", message.id)
    payload = (
        {"method": message.method} if message.params is None else {"method": message.method, "params": message.params}
    )
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        raise ProtocolError(INVALID_PARAMS, f"Invalid params for {message.method}: {detail}", message.id) from None


def initialize(request: types.InitializeRequest) -> types.InitializeResult:
    """The client's version when we speak it, else our latest (the client decides whether to go on)."""
    asked = request.params.protocol_version
    version = asked if asked in HANDSHAKE_PROTOCOL_VERSIONS else LATEST_HANDSHAKE_VERSION
    return types.InitializeResult(
        protocol_version=version,
        capabilities=types.ServerCapabilities(tools=types.ToolsCapability(list_changed=False)),
        server_info=SERVER_INFO,
        instructions="AI models as tools: list_models, embed, chat. Each needs its OAuth scope.",
    )


def unknown_tool(request_id: RequestId, name: str) -> ProtocolError:
    return ProtocolError(INVALID_PARAMS, f"Unknown tool: {name}", request_id)


def answer(request_id: RequestId, result):
    return json_response(_dump(JSONRPCResponse(jsonrpc="2.0", id=request_id, result=_dump(result))))


def _dump(model) -> dict:
    return model.model_dump(by_alias=True, mode="json", exclude_none=True, exclude_unset=True)
