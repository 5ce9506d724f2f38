"""The protocol's HTTP surface: one line per endpoint; the work is in grants, endpoints and services."""

from __future__ import annotations

from flask import Blueprint
from flask import jsonify
from flask import request

from authserver import paths
from authserver.extensions import csrf
from authserver.oauth2 import metadata
from authserver.oauth2.authorize import authorization_endpoint
from authserver.oauth2.server import get_server
from authserver.tokens.keys import public_jwks
from shared.metrics import TOKENS_ISSUED

bp = Blueprint("oauth2", __name__)

# Browser-based public clients call these from their own origin. None reads a cookie, so letting
# any origin read the answers gives away nothing a direct request would not. Introspection is for
# resource servers only, never called from a browser.
CROSS_ORIGIN_PATHS = paths.CLIENT_ENDPOINT_PATHS - {paths.INTROSPECT_PATH}
# RFC 7592: a registration access token manages its client at REGISTER_PATH/<client_id>.
CLIENT_CONFIGURATION_PREFIX = paths.REGISTER_PATH + "/"


# grant type -> its series: prometheus-client's labels() looks a child up under a lock on every call.
_tokens_issued: dict[str, object] = {}


@bp.after_request
def count_tokens_issued(response):
    # Only answers that issued a token: the grant type is then one this server knows (a bounded label).
    if response.status_code == 200 and request.path == paths.TOKEN_PATH:
        grant_type = request.form.get("grant_type", "")
        series = _tokens_issued.get(grant_type)
        if series is None:
            series = _tokens_issued[grant_type] = TOKENS_ISSUED.labels(grant_type)
        series.inc()
    return response


@bp.after_request
def allow_browser_clients(response):
    # The request object itself, not the context proxy, on every answer of the blueprint.
    req = request._get_current_object()
    path = req.path
    configuration = path.startswith(CLIENT_CONFIGURATION_PREFIX)
    if path in CROSS_ORIGIN_PATHS or configuration:
        response.headers["Access-Control-Allow-Origin"] = "*"
        # RFC 9449 §8: a browser client reads the nonce it must put in its next proof.
        response.headers["Access-Control-Expose-Headers"] = "DPoP-Nonce"
        if req.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, PUT, DELETE" if configuration else "GET, POST"
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, DPoP"
            response.headers["Access-Control-Max-Age"] = "600"
    return response


# Exempt from the blanket check only because authorize.py checks the consent POST itself: a POSTed
# authorization request (OIDC Core §3.1.2.1) comes from the client's site and carries no token.
@bp.route(paths.AUTHORIZE_PATH, methods=["GET", "POST"])
@csrf.exempt
def authorize():
    return authorization_endpoint()


# Clients authenticate these with their credentials, not a browser session: CSRF does not apply.
@bp.post(paths.TOKEN_PATH)
@csrf.exempt
def token():
    return get_server().create_token_response()


@bp.post(paths.DEVICE_AUTHORIZATION_PATH)
@csrf.exempt
def device_authorization():
    return get_server().create_endpoint_response("device_authorization")


@bp.post(paths.PAR_PATH)
@csrf.exempt
def pushed_authorization():
    return get_server().create_endpoint_response("pushed_authorization")


@bp.post(paths.REVOKE_PATH)
@csrf.exempt
def revoke():
    return get_server().create_endpoint_response("revocation")


@bp.post(paths.INTROSPECT_PATH)
@csrf.exempt
def introspect():
    return get_server().create_endpoint_response("introspection")


@bp.route(paths.USERINFO_PATH, methods=["GET", "POST"])
@csrf.exempt
def userinfo():
    return get_server().create_endpoint_response("userinfo")


@bp.post(paths.REGISTER_PATH)
@csrf.exempt
def register():
    return get_server().create_endpoint_response("client_registration")


@bp.route(CLIENT_CONFIGURATION_PREFIX + "<client_id>", methods=["GET", "PUT", "DELETE"])
@csrf.exempt
def client_configuration(client_id: str):
    return get_server().create_endpoint_response("client_configuration")


@bp.post(paths.USAGE_PATH)
@csrf.exempt
def usage():
    return get_server().create_endpoint_response("usage")


@bp.get(paths.LIMITS_PATH)
def limits():
    return get_server().create_endpoint_response("limits")


@bp.get(paths.REVOCATIONS_PATH)
def revocation_feed():
    return get_server().create_endpoint_response("revocation_feed")


@bp.get(paths.JWKS_PATH)
def jwks():
    return jsonify(public_jwks())


@bp.get(paths.OAUTH_METADATA_PATH)
@bp.get(paths.OPENID_METADATA_PATH)
def server_metadata():
    return jsonify(metadata.server_metadata(get_server()))
