"""The authorization endpoint's conversation: validate, sign in, consent, issue a code.

Requests we cannot trust to redirect (unknown client, unregistered redirect URI) end on an error
page and never redirect (RFC 6749 §4.1.2.1, RFC 9700 §4.11.2); every other error goes back to the
client's redirect URI with ``state`` and ``iss``.
"""

from __future__ import annotations

import time
from datetime import datetime
from datetime import timezone
from urllib.parse import urlencode

from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oidc.core.errors import ConsentRequiredError
from authlib.oidc.core.errors import LoginRequiredError
from authlib.oidc.core.errors import RequestNotSupportedError
from authlib.oidc.core.errors import RequestURINotSupportedError
from flask import g
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request

from authserver.accounts.sessions import auth_time
from authserver.accounts.sessions import current_user
from authserver.accounts.sessions import login_url
from authserver.accounts.sessions import logout_user
from authserver.accounts.sessions import sign_in_methods
from authserver.consent import services as consent
from authserver.errorpages import html_error
from authserver.errorpages import page_headers
from authserver.extensions import csrf
from authserver.extensions import get_config
from authserver.oauth2.par import open_pushed_request
from authserver.oauth2.par import pushed_request
from authserver.oauth2.server import get_server
from authserver.tokens import pushed_requests
from authserver.tokens.pushed_requests import RequestURIRefused


def authorization_endpoint():
    if request.method == "POST":
        if "decision" not in request.form:
            # OIDC Core §3.1.2.1: an authorization request may come as a form POST; go on as a GET.
            params = [*request.args.items(multi=True), *request.form.items(multi=True)]
            return redirect(request.path + "?" + urlencode(params), code=303)
        # The consent decision is the one POST that must come from our own form.
        csrf.protect()
    try:
        open_pushed_request()
    except RequestURIRefused as refused:
        # RFC 9126 §4: nothing about this request can be trusted to redirect; tell the person.
        return _error_page(str(refused))
    return _finish(_respond())


def refuse(error: OAuth2Error):
    """A request refused before it was read (see strict.py): back to the client's redirect URI only
    when the client and the redirect URI are each named once and valid (RFC 6749 §4.1.2.1), with
    ``state`` when it is unambiguous; otherwise a page for the person."""
    values = request.values
    client = get_server().query_client(_single(values, "client_id"))
    if client is not None and len(values.getlist("redirect_uri")) <= 1:
        uri = values.get("redirect_uri")
        if uri is None or client.check_redirect_uri(uri):
            error.redirect_uri = uri or client.get_default_redirect_uri()
    error.state = _single(values, "state")
    return _finish(_error_response(error))


def _single(values, name: str) -> str | None:
    found = values.getlist(name)
    return found[0] if len(found) == 1 else None


def _finish(response):
    if response.status_code in (302, 303):
        # The Location may carry a code: no cache along the way may keep it.
        response.headers["Cache-Control"] = "no-store"
        if request.method == "POST":
            # RFC 9700 §4.12: after a form POST, 303 makes every browser switch to GET.
            response.status_code = 303
    return response


def _respond():
    server = get_server()
    user = current_user()
    try:
        grant = server.get_consent_grant(end_user=user)
        return _continue(server, grant, user)
    except OAuth2Error as error:
        error.state = request.args.get("state")
        return _error_response(error)


def _error_response(error: OAuth2Error):
    if error.redirect_uri:
        return get_server().handle_error_response(None, error)
    return _error_page(error.get_error_description() or error.error)


def _continue(server, grant, user):
    # OIDC Core §6: request objects are not offered (metadata says so); never ignore one silently.
    if "request" in request.args:
        raise RequestNotSupportedError(redirect_uri=grant.redirect_uri)
    if "request_uri" in request.args:
        raise RequestURINotSupportedError(redirect_uri=grant.redirect_uri)
    if pushed_request() is None and (get_config().require_par or grant.client.require_pushed_authorization_requests):
        # RFC 9126 §5, §6: this server or this client accepts authorization requests only as pushed.
        raise InvalidRequestError(
            "Authorization requests must be pushed to the PAR endpoint first (RFC 9126).",
            redirect_uri=grant.redirect_uri,
        )
    if request.args.get("response_mode", "query") != "query":
        # Only the query mode is offered (metadata); answering another way would go unread.
        raise InvalidRequestError("Only 'response_mode=query' is supported.", redirect_uri=grant.redirect_uri)
    prompts = set((request.args.get("prompt") or "").split())
    if "none" in prompts and len(prompts) > 1:
        raise InvalidRequestError(
            "'prompt=none' cannot be combined with other values.", redirect_uri=grant.redirect_uri
        )
    stale = _too_old(grant.redirect_uri)
    if user is None or "login" in prompts or stale:
        if "none" in prompts:
            raise LoginRequiredError(redirect_uri=grant.redirect_uri)
        if user is not None:
            # Forced re-authentication: the old session must not satisfy the login page.
            logout_user()
        return redirect(_login_url())

    client = grant.client
    scope = grant.request.scope
    if request.method == "POST":
        decision = request.form.get("decision")
        if decision == "allow":
            consent.grant(user.id, client.pk, scope)
            return _issue_code(server, grant, user)
        if decision == "deny":
            _use_pushed_request()
            return server.create_authorization_response(grant=grant, grant_user=None)
        return _error_page("Choose Allow or Deny.")
    if "consent" not in prompts and consent.covers(user.id, client.pk, scope):
        return _issue_code(server, grant, user)
    if "none" in prompts:
        raise ConsentRequiredError(redirect_uri=grant.redirect_uri)
    return consent_page(client, scope, user, action=request.full_path.rstrip("?"))


def _issue_code(server, grant, user):
    _use_pushed_request()
    signed_in_at = auth_time() or int(time.time())
    grant.request.auth_time = datetime.fromtimestamp(signed_in_at, timezone.utc)
    grant.request.amr = sign_in_methods()
    return server.create_authorization_response(grant=grant, grant_user=user)


def _use_pushed_request() -> None:
    """A pushed request gets one authorization response (RFC 9126 §4): a second is refused."""
    pushed = pushed_request()
    if pushed is not None and not pushed_requests.use(pushed.id):
        raise InvalidRequestError(pushed_requests.USED)


def _too_old(redirect_uri: str) -> bool:
    """OIDC Core §3.1.2.1 ``max_age``: a sign-in older than this many seconds must be repeated."""
    max_age = request.args.get("max_age")
    if max_age is None:
        return False
    if not (max_age.isascii() and max_age.isdigit()):
        raise InvalidRequestError("'max_age' must be a non-negative integer.", redirect_uri=redirect_uri)
    signed_in_at = auth_time()
    # Past 12 digits (30,000 years; leading zeros aside) no sign-in is too old, and int() refuses
    # thousands of digits.
    return signed_in_at is None or (len(max_age.lstrip("0")) <= 12 and time.time() - signed_in_at > int(max_age))


def _login_url() -> str:
    """Back to this request after sign-in, minus what forced the sign-in (or it would loop)."""
    params = []
    for key, value in request.args.items(multi=True):
        if key == "prompt":
            value = " ".join(p for p in value.split() if p != "login")
            if not value:
                continue
        if key == "max_age":
            continue
        params.append((key, value))
    pushed = pushed_request()
    if pushed is not None:
        # Back with the same request_uri; what the sign-in satisfies is not asked for again.
        pushed_requests.replace_parameters(pushed.id, params)
        return login_url(request.path + "?" + g.pushed_query)
    next_url = request.path + ("?" + urlencode(params) if params else "")
    return login_url(next_url)


def consent_page(client, scope: str, user, action: str):
    """The one consent page, for the authorization endpoint and the device flow alike."""
    page = render_template(
        "consent/consent.html", client=client, scopes=consent.describe_scopes(scope), user=user, action=action
    )
    return authorization_page(make_response(page))


def _error_page(message: str):
    return authorization_page(make_response(html_error(400, "This sign-in link is not valid", message)))


def authorization_page(response):
    # Consent must be given on our own page, never inside another site's frame (RFC 9700 §4.16),
    # and the request's URL (state, PKCE challenge) must not leak to the client's linked pages:
    # both are every page's headers (authserver/headers.py).
    return page_headers(response)
