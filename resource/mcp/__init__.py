"""The MCP endpoint (``POST /mcp``, streamable HTTP transport): tools over the same backends,
token validation, scopes, rate limits and metering as /v1/*.

The official SDK's server is ASGI (anyio tasks, a session manager with its own lifespan); this
server is WSGI, one thread per request. So the SDK's pydantic types (``mcp_types``) parse and
build every message, and each POST gets one JSON answer: what the transport allows for a server
that sends no notifications of its own (no sessions, no SSE stream; GET is 405).
"""
