"""``GET /v1/me``: who the token speaks for, for any valid token."""

from __future__ import annotations

from flask import Blueprint
from flask import g

from resource.apis import account
from resource.auth import require_scope
from resource.limits import rate_limited
from resource.responses import json_response

bp = Blueprint("me", __name__, url_prefix="/v1")


@bp.get("/me")
@require_scope()
@rate_limited
def me():
    info = g.token
    account("me", None, 0, 0, info=info)
    # The scope string exactly as the authorization server granted it (order included).
    body = {"sub": info.sub, "client_id": info.client_id, "scope": info.claims.get("scope", ""), "exp": info.exp}
    if info.act is not None:
        body["act"] = info.act  # RFC 8693 §4.1: the client acting for ``sub`` (and who it acts for, nested)
    return json_response(body)
