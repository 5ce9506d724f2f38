"""Strict request parameters, checked in one place for every endpoint named in ``STRICT_ENDPOINTS``.

A new endpoint that reads parameters opts in by adding its Flask endpoint name and how its errors
are answered. The checks run before the view, so no endpoint can read a parameter that is sent
twice, a client authenticated two ways, or a scope outside the scope-token syntax.
"""

from __future__ import annotations

import json
import re

from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from flask import make_response
from flask import request

from authserver.errorpages import html_error
from authserver.errorpages import page_headers
from authserver.oauth2 import authorize
from authserver.oauth2.server import get_server
from authserver.scopes.policy import SCOPE_TOKEN

# How an endpoint answers a refused request.
CLIENT = "client"  # a client authenticating at a back-channel endpoint: RFC 6749 §5.2 JSON
BEARER = "bearer"  # a resource read with an access token: RFC 6750 §3.1
AUTHORIZE = "authorize"  # the front channel: the client's redirect URI when trustworthy, else a page
PAGE = "page"  # a page for people (the end-session endpoint)

STRICT_ENDPOINTS: dict[str, str] = {
    "oauth2.authorize": AUTHORIZE,
    "oauth2.token": CLIENT,
    "oauth2.device_authorization": CLIENT,
    "oauth2.pushed_authorization": CLIENT,
    "oauth2.revoke": CLIENT,
    "oauth2.introspect": CLIENT,
    "oauth2.revocation_feed": CLIENT,
    "oauth2.userinfo": BEARER,
    # RFC 7591: a JSON body, and an initial access token as a bearer token.
    "oauth2.register": BEARER,
    # RFC 7592: the registration access token, as a bearer token.
    "oauth2.client_configuration": BEARER,
    "logout.confirm": PAGE,
    "logout.sign_out": PAGE,
    # RFC 8628 §3.3: the pages where a person enters the user code, then consents.
    "device.enter_code": PAGE,
    "device.decide": PAGE,
}

# RFC 8707 §2 and RFC 8693 §2.1 let these be repeated: one value per resource or audience.
REPEATABLE = frozenset({"resource", "audience"})
# Each is a way for a client to prove who it is (RFC 6749 §2.3.1, RFC 7523 §2.2).
BODY_CLIENT_CREDENTIALS = ("client_secret", "client_assertion")
SCOPE_SYNTAX = re.compile(rf"{SCOPE_TOKEN.pattern}(?: {SCOPE_TOKEN.pattern})*")
# What an error description may carry (RFC 6749 §5.2), less the quote we put around a name.
PRINTABLE_NAME = re.compile(r"[\x20\x21\x23-\x26\x28-\x5b\x5d-\x7e]{1,64}")


def strict_parameters():
    """Before every request: refuse one to a listed endpoint that breaks a rule, in its own shape."""
    kind = STRICT_ENDPOINTS.get(request._get_current_object().endpoint)
    if kind is None:
        return None
    try:
        check_request(kind)
    except OAuth2Error as error:
        return _refusal(kind, error)
    return None


def _refusal(kind: str, error: OAuth2Error):
    if kind == AUTHORIZE:
        return authorize.refuse(error)
    if kind == PAGE:
        return page_headers(make_response(html_error(400, "This link is not valid", error.description)))
    response = get_server().handle_error_response(None, error)
    if kind == BEARER:
        response.headers["WWW-Authenticate"] = f'Bearer error="{error.error}"'
    return response


def check_request(kind: str) -> None:
    """Raise the OAuth error for the first rule this request breaks."""
    # The request object itself, not the context proxy: it is read a dozen times here.
    req = request._get_current_object()
    args, form = req.args, req.form
    for params, other in ((args, form), (form, None)):
        for name, values in params.lists():
            if name not in REPEATABLE and (len(values) > 1 or (other is not None and name in other)):
                raise InvalidRequestError(
                    f"The {_quoted(name)} parameter is included more than once (RFC 6749 section 3.1)."
                )
    if req.is_json:
        _no_repeated_members(req.get_data(cache=True))
    # ``in`` first: werkzeug's ``get`` of an absent name raises and catches an HTTP exception inside.
    scope = form["scope"] if "scope" in form else args["scope"] if "scope" in args else None
    if scope and not SCOPE_SYNTAX.fullmatch(scope):
        raise InvalidScopeError(
            "'scope' must be scope tokens of printable ASCII separated by single spaces (RFC 6749 section 3.3)."
        )
    if kind == CLIENT:
        _one_client_authentication(req, form)
    elif kind == BEARER:
        _one_bearer_token(req, args, form)


def _no_repeated_members(body: bytes) -> None:
    """A JSON body naming a member twice is as ambiguous as a repeated form parameter."""

    def pairs_hook(pairs):
        names = [name for name, _value in pairs]
        for name in names:
            if names.count(name) > 1:
                raise InvalidRequestError(f"The {_quoted(name)} member is included more than once.")
        return dict(pairs)

    try:
        json.loads(body, object_pairs_hook=pairs_hook)
    except ValueError:
        return  # not JSON at all: the endpoint answers that in its own words


def _one_client_authentication(req, form) -> None:
    """RFC 6749 §2.3.1: a client MUST NOT use more than one authentication method in each request."""
    methods = [name for name in BODY_CLIENT_CREDENTIALS if name in form]
    if _authorization_scheme(req) == "basic":
        methods.insert(0, "HTTP Basic")
    if len(methods) > 1:
        raise InvalidRequestError(f"The client authenticated in more than one way ({' and '.join(methods)}); use one.")


def _one_bearer_token(req, args, form) -> None:
    """RFC 6750 §2: a client MUST NOT use more than one method to send the access token."""
    ways = int(_authorization_scheme(req) == "bearer") + int("access_token" in args) + int("access_token" in form)
    if ways > 1:
        raise InvalidRequestError("The access token was sent in more than one way; use one (RFC 6750 section 2).")


def _quoted(name: str) -> str:
    """The parameter's name, or a stand-in when the name could not be put in a description."""
    return f"'{name}'" if PRINTABLE_NAME.fullmatch(name) else "same"


def _authorization_scheme(req) -> str:
    return req.environ.get("HTTP_AUTHORIZATION", "").split(" ", 1)[0].lower()
