"""THE protocol glue: the only package that imports Authlib's server side."""

from __future__ import annotations

from flask import Flask


def init_oauth2(app: Flask) -> None:
    """Register every grant and endpoint on the app: this list is everything the server speaks."""
    from authlib.oauth2.rfc6749.errors import InsecureTransportError

    from authserver.oauth2 import logout_views
    from authserver.oauth2 import verification
    from authserver.oauth2 import views
    from authserver.oauth2.client_auth import PrivateKeyJWT
    from authserver.oauth2.device import DeviceAuthorizationEndpoint
    from authserver.oauth2.device import DeviceCodeGrant
    from authserver.oauth2.endpoints import IntrospectionEndpoint
    from authserver.oauth2.endpoints import LimitsEndpoint
    from authserver.oauth2.endpoints import RevocationEndpoint
    from authserver.oauth2.endpoints import RevocationFeedEndpoint
    from authserver.oauth2.endpoints import UsageEndpoint
    from authserver.oauth2.exchange import TokenExchangeGrant
    from authserver.oauth2.grants import AuthorizationCodeGrant
    from authserver.oauth2.grants import ClientCredentialsGrant
    from authserver.oauth2.grants import RefreshTokenGrant
    from authserver.oauth2.grants import S256CodeChallenge
    from authserver.oauth2.oidc import OpenIDCode
    from authserver.oauth2.oidc import OpenIDContinued
    from authserver.oauth2.oidc import UserInfoEndpoint
    from authserver.oauth2.par import PushedAuthorizationEndpoint
    from authserver.oauth2.registration import ClientConfigurationEndpoint
    from authserver.oauth2.registration import ClientRegistrationEndpoint
    from authserver.oauth2.server import AuthorizationServer
    from authserver.oauth2.strict import strict_parameters

    config = app.extensions["authserver.config"]
    server = AuthorizationServer(config)
    server.register_client_auth_method(PrivateKeyJWT.CLIENT_AUTH_METHOD, PrivateKeyJWT(config))
    server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True), OpenIDCode(require_nonce=False)])
    server.register_grant(RefreshTokenGrant, [OpenIDContinued()])
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(DeviceCodeGrant, [OpenIDContinued()])
    server.register_grant(TokenExchangeGrant)
    server.register_endpoint(DeviceAuthorizationEndpoint)
    server.register_endpoint(PushedAuthorizationEndpoint)
    server.register_endpoint(RevocationEndpoint)
    server.register_endpoint(IntrospectionEndpoint)
    server.register_endpoint(UsageEndpoint)
    server.register_endpoint(LimitsEndpoint)
    server.register_endpoint(RevocationFeedEndpoint)
    server.register_endpoint(UserInfoEndpoint)
    server.register_endpoint(ClientRegistrationEndpoint)
    server.register_endpoint(ClientConfigurationEndpoint)
    app.extensions["authserver.oauth2"] = server
    # Raised before Authlib's own error handling starts (an http issuer off loopback): still an
    # answer in RFC 6749's shape, not a 500.
    app.register_error_handler(InsecureTransportError, lambda error: server.handle_error_response(None, error))
    app.register_blueprint(views.bp)
    app.register_blueprint(logout_views.bp)
    app.register_blueprint(verification.bp)
    app.before_request(strict_parameters)
