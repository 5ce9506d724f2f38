"""How the authorization server wraps a request for Authlib: the issuer's URI, checked once."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import OAuth2Request

from authserver import create_app
from authserver.oauth2.server import get_server


def test_the_wrapped_request_sets_everything_authlibs_own_sets(auth_app):
    with auth_app.test_request_context("/oauth/token?x=1", method="POST", data={"grant_type": "client_credentials"}):
        ours = get_server().create_oauth2_request(None)
        # An Authlib upgrade that adds request state must not leave ours without it.
        assert set(vars(OAuth2Request("POST", "https://issuer.example/oauth/token"))) <= set(vars(ours))
        assert ours.uri == auth_app.extensions["authserver.config"].issuer + "/oauth/token?x=1"
        assert ours.payload.grant_type == "client_credentials"


def test_plain_http_off_loopback_is_refused_as_insecure_transport(config):
    app = create_app(config.replace(issuer="http://auth.example"))
    try:
        response = app.test_client().post("/oauth/token", data={"grant_type": "client_credentials"})
        assert response.status_code == 400
        assert response.get_json()["error"] == "insecure_transport"
    finally:
        app.extensions["authserver.db"].dispose()
