"""The paths both apps must agree on: one talks to the other over HTTP at these."""

# RFC 8414 §3: where the resource server discovers the authorization server's endpoints.
OAUTH_METADATA_PATH = "/.well-known/oauth-authorization-server"
# Where the resource server reports metered calls (authserver.usage).
USAGE_PATH = "/internal/usage"
# Where the resource server polls the per-client limits an admin set (authserver.clients).
LIMITS_PATH = "/internal/limits"
# Where the resource server reads revocations (authserver.tokens.revocations), and, with Redis, the
# pub/sub channel they are pushed on as they commit.
REVOCATIONS_PATH = "/internal/revocations"
REVOCATIONS_CHANNEL = "authserver:revocations"
