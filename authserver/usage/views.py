"""``POST /internal/usage``: the resource server reports metered calls in batches.

Only a client registered with ``--resource-server`` may report, authenticated with HTTP Basic
(``client_secret_basic``, RFC 6749 §2.3.1). A machine-to-machine endpoint: exempt from CSRF,
which protects browser sessions, not Basic-authenticated calls.
"""

from __future__ import annotations

from urllib.parse import unquote

from flask import Blueprint
from flask import jsonify
from flask import request

from authserver.errors import InvalidInput
from authserver.extensions import csrf
from authserver.extensions import db_session
from authserver.paths import USAGE_PATH
from authserver.usage import services
from shared.errors import oauth_error

bp = Blueprint("usage", __name__)
csrf.exempt(bp)


@bp.post(USAGE_PATH)
def ingest():
    auth = request.authorization
    client = None
    if auth is not None and auth.type == "basic":
        client = services.authenticate_reporter(unquote(auth.username or ""), unquote(auth.password or ""))
    if client is None:
        response = oauth_error("invalid_client", "Only a resource server may report usage.", 401)
        response.headers["WWW-Authenticate"] = 'Basic realm="usage"'
        return response
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # arrays nested thousands deep
        body = None
    try:
        stored = services.store(body.get("records") if isinstance(body, dict) else None)
    except InvalidInput as exc:
        db_session().rollback()
        return oauth_error("invalid_request", str(exc), 400)
    return jsonify(stored=stored), 202
