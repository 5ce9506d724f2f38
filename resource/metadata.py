"""Protected resource metadata (RFC 9728): how a client that knows only a URL here finds the
authorization server, which scopes to ask for and which ``resource`` to name.

One resource identifier (``RESOURCE_URL``) covers /v1/* and /mcp, so both documents, the root one
and the path-inserted one for /mcp (§3.1), name it; every 401 and 403 points at the root one.
"""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import render_template_string

from resource.apis.chat import SCOPE as CHAT_SCOPE
from resource.apis.embeddings import SCOPE as EMBEDDINGS_SCOPE
from resource.apis.models import SCOPE as MODELS_SCOPE
from resource.paths import DOCS_PATH
from resource.paths import MCP_METADATA_PATH
from resource.paths import MCP_PATH
from resource.paths import METADATA_PATH
from resource.responses import json_response
from shared.jose import JWS_ALGORITHMS

bp = Blueprint("metadata", __name__)

SCOPES = (MODELS_SCOPE, EMBEDDINGS_SCOPE, CHAT_SCOPE)
RESOURCE_NAME = "AI API (OpenAI-compatible, with an MCP endpoint)"


@bp.get(METADATA_PATH)
@bp.get(MCP_METADATA_PATH)
def protected_resource_metadata():
    state = current_app.extensions["resource"]
    document = {
        "resource": state.resource_url,
        "authorization_servers": [state.config.resource_issuer],
        "scopes_supported": list(SCOPES),
        "bearer_methods_supported": ["header"],
        # RFC 9728 §2 / RFC 9449 §7: DPoP-bound tokens are checked with proofs signed with these;
        # bearer tokens stay accepted.
        "dpop_signing_alg_values_supported": list(JWS_ALGORITHMS),
        "dpop_bound_access_tokens_required": False,
        "resource_name": RESOURCE_NAME,
        "resource_documentation": state.resource_url + DOCS_PATH,
    }
    # Public and the same for everyone; browser-based MCP clients read it cross-origin.
    return json_response(document, headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=300"})


_DOCS = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ name }}</title></head>
<body>
<h1>{{ name }}</h1>
<p>Send an OAuth 2 access token from {{ issuer }} as <code>Authorization: Bearer …</code>, minted
for <code>resource={{ resource }}</code> (or with no audience). Metadata:
<a href="{{ metadata }}">{{ metadata }}</a> (RFC 9728).</p>
<table>
<tr><th>endpoint</th><th>scope</th></tr>
<tr><td>GET /v1/models</td><td>models:read</td></tr>
<tr><td>POST /v1/embeddings</td><td>embeddings:create</td></tr>
<tr><td>POST /v1/chat/completions</td><td>chat:create</td></tr>
<tr><td>GET /v1/me</td><td>any</td></tr>
<tr><td>POST {{ mcp }} (MCP streamable HTTP): tools list_models, embed, chat</td>
<td>models:read, embeddings:create, chat:create</td></tr>
</table>
</body></html>
"""


@bp.get(DOCS_PATH)
def documentation():
    state = current_app.extensions["resource"]
    return render_template_string(
        _DOCS,
        name=RESOURCE_NAME,
        issuer=state.config.resource_issuer,
        resource=state.resource_url,
        metadata=state.metadata_url,
        mcp=MCP_PATH,
    )
