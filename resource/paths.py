"""The resource server's own paths beyond /v1 (each API module names its /v1 path)."""

# RFC 9728 §3: the protected resource metadata, and its path-inserted form for the MCP endpoint.
METADATA_PATH = "/.well-known/oauth-protected-resource"
MCP_PATH = "/mcp"
MCP_METADATA_PATH = METADATA_PATH + MCP_PATH
# What ``resource_documentation`` points at: the API, its scopes and the MCP tools, for people.
DOCS_PATH = "/docs"
