"""``POST /mcp``: authenticate (audience included), then one JSON-RPC message, one answer."""

from __future__ import annotations

import mcp_types as types
from flask import Blueprint
from flask import Response
from flask import g
from flask import request
from mcp_types.jsonrpc import JSONRPCRequest

from resource.auth import authenticate
from resource.auth import insufficient_scope
from resource.limits import count_call
from resource.mcp import protocol
from resource.mcp.tools import SCOPES
from resource.mcp.tools import TOOLS
from resource.paths import MCP_PATH

bp = Blueprint("mcp", __name__)
bp.register_error_handler(protocol.ProtocolError, lambda error: error.response())


@bp.post(MCP_PATH)
def endpoint():
    # A 401 names every tool's scope: an agent asks for them all at once (MCP scope selection).
    info = authenticate(SCOPES)
    try:
        protocol.check_version(request.headers.get("MCP-Protocol-Version"))
        message = protocol.parse(request.get_data())
        typed = protocol.typed(message) if isinstance(message, JSONRPCRequest) else None
        tool = _tool(message.id, typed) if isinstance(typed, types.CallToolRequest) else None
    except protocol.ProtocolError:
        _count(())  # a malformed message counts like any other call, as a bad /v1 body does
        raise
    if tool is not None and tool.scope not in info.scopes:
        # MCP authorization, step-up: 403 with the scope to ask for, not a JSON-RPC error.
        raise insufficient_scope((tool.scope,))
    _count((tool.scope,) if tool is not None else ())
    if typed is None:
        # Notifications (``notifications/initialized``) and responses: accepted, nothing to answer.
        return Response(status=202)
    if tool is not None:
        return protocol.answer(message.id, tool.call(typed.params.arguments or {}))
    if isinstance(typed, types.InitializeRequest):
        return protocol.answer(message.id, protocol.initialize(typed))
    if isinstance(typed, types.ListToolsRequest):
        return protocol.answer(message.id, types.ListToolsResult(tools=[tool.definition() for tool in TOOLS.values()]))
    return protocol.answer(message.id, types.EmptyResult())  # ping


def _tool(request_id, request: types.CallToolRequest):
    tool = TOOLS.get(request.params.name)
    if tool is None:
        raise protocol.unknown_tool(request_id, request.params.name)
    return tool


def _count(scopes: tuple[str, ...]) -> None:
    """Every message counts against the rate limits, as every /v1 call does; a tool call under its scope."""
    g.required_scopes = scopes
    count_call()
