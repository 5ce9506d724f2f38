"""Pushed authorization requests (RFC 9126): the PAR endpoint, and its ``request_uri`` at the
authorization endpoint.

A client authenticates as at the token endpoint and pushes the parameters of an authorization
request; they are checked by the authorization endpoint's own checks (``get_consent_grant``: client,
redirect URI, response type, scope, PKCE, resource) and stored. The browser then carries only
``client_id`` and ``request_uri`` to the authorization endpoint. The first browser to bring it there
gets the request for itself (``BROWSER_COOKIE``): sign-in and consent continue in that browser only.
"""

from __future__ import annotations

from urllib.parse import urlencode

from authlib.consts import default_json_headers
from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.token_endpoint import TokenEndpoint
from flask import after_this_request
from flask import current_app
from flask import g
from flask import request as flask_request
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.datastructures import ImmutableMultiDict

from authserver.oauth2.grants import ALL_AUTH_METHODS
from authserver.oauth2.server import get_server
from authserver.paths import AUTHORIZE_PATH
from authserver.tokens import pushed_requests
from shared.security import new_credential

# How a client proves who it is (RFC 6749 §2.3.1, RFC 7523 §2.2): not part of the authorization request.
CLIENT_CREDENTIAL_PARAMETERS = frozenset({"client_secret", "client_assertion", "client_assertion_type"})
# Who will sign in is known only at the authorization endpoint: checks of ``prompt`` against the
# person's session (``prompt=none`` and nobody signed in) are made there, not at the push.
PERSON_NOT_YET_KNOWN = object()
# A random value per browser, sent only to the authorization endpoint; a pushed request remembers the
# digest of the one its first visit carried. A cookie of its own, not the session: signing in renews
# the session (accounts.sessions), and the request must survive that round trip.
BROWSER_COOKIE = "authserver_par_browser"


class PushedAuthorizationEndpoint(TokenEndpoint):
    """RFC 9126 §2: ``201`` with a single-use ``request_uri`` and its ``expires_in``."""

    ENDPOINT_NAME = "pushed_authorization"
    CLIENT_AUTH_METHODS = ALL_AUTH_METHODS

    def create_endpoint_response(self, request):
        client = self.authenticate_endpoint_client(request)
        form = flask_request.form
        if "request_uri" in form:
            raise InvalidRequestError("'request_uri' cannot be pushed (RFC 9126 section 2.1).")
        if "request" in form:
            raise InvalidRequestError("Request objects are not supported.")
        if form.get("client_id") != client.client_id:
            # RFC 9126 §2.1: the request's client_id is the authenticated client's.
            raise InvalidRequestError("'client_id' must name the authenticated client.")
        try:
            self.server.get_consent_grant(end_user=PERSON_NOT_YET_KNOWN)
        except OAuth2Error as error:
            # RFC 9126 §2.3: the client hears of every error in the JSON answer, never by redirect.
            error.redirect_uri = None
            error.state = None
            raise
        parameters = [
            (name, value) for name, value in form.items(multi=True) if name not in CLIENT_CREDENTIAL_PARAMETERS
        ]
        request_uri = pushed_requests.push(client.pk, parameters)
        return 201, {"request_uri": request_uri, "expires_in": pushed_requests.EXPIRES_IN}, default_json_headers


def open_pushed_request() -> None:
    """At the authorization endpoint: a ``request_uri`` stands for the pushed parameters, which
    replace everything else the browser sent (RFC 9126 §4). Raises ``RequestURIRefused``.

    Any other ``request_uri`` points at an OIDC request object, which is not supported: the
    authorization endpoint answers that (``request_uri_not_supported``).
    """
    args = flask_request.args
    request_uri = args.get("request_uri")
    if request_uri is None or not request_uri.startswith(pushed_requests.REQUEST_URI_PREFIX):
        return
    client = get_server().query_client(args.get("client_id"))
    browser = _browser_secret()
    pushed = pushed_requests.open_request(request_uri, client.pk if client is not None else None, browser)
    g.pushed_request = pushed
    # How the browser comes back here after sign-in: still by reference, never with the request itself.
    g.pushed_query = urlencode([("client_id", client.client_id), ("request_uri", request_uri)])
    flask_request.args = ImmutableMultiDict(pushed.parameters)
    flask_request.values = CombinedMultiDict([flask_request.args, flask_request.form])


def _browser_secret() -> str:
    """This browser's binding secret, made on its first pushed request; the cookie is renewed on every
    visit so that it outlives each request it opened (``OPEN_SECONDS``)."""
    browser = flask_request.cookies.get(BROWSER_COOKIE) or new_credential()

    @after_this_request
    def remember(response):
        response.set_cookie(
            BROWSER_COOKIE,
            browser,
            max_age=pushed_requests.OPEN_SECONDS,
            path=AUTHORIZE_PATH,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        return response

    return browser


def pushed_request() -> pushed_requests.PushedRequest | None:
    return g.get("pushed_request")
