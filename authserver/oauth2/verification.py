"""The verification pages of the device flow (RFC 8628 §3.3): the code first, then sign-in if
needed, then the usual consent page, then "return to your device".

The consent page is shown every time, even when the person allowed the app before: a user code can
be phished (§5.4), and only the person reading the app's name on our page can tell.
"""

from __future__ import annotations

import time
from datetime import datetime
from datetime import timezone

from flask import Blueprint
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from itsdangerous import BadData
from itsdangerous import URLSafeTimedSerializer

from authserver import paths
from authserver.accounts.sessions import auth_time
from authserver.accounts.sessions import current_user
from authserver.accounts.sessions import login_url
from authserver.accounts.sessions import sign_in_methods
from authserver.consent import services as consent
from authserver.errorpages import register_html_errors
from authserver.extensions import signing_secret_keys
from authserver.oauth2.authorize import authorization_page
from authserver.oauth2.authorize import consent_page
from authserver.oauth2.device import DeviceAuthorizationEndpoint
from authserver.oauth2.forms import UserCodeForm
from authserver.oauth2.server import get_server
from authserver.tokens import device_codes

bp = Blueprint("device", __name__)
register_html_errors(bp)

WRONG_CODE = "That code is not valid, or it has expired. Check the code on your device and try again."
GONE = "That code has expired or was already used. Start again on your device to get a new code."
TOO_MANY = "Too many wrong codes. Wait a few minutes and try again."


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_secret_keys(), salt="device-verification")


@bp.route(paths.DEVICE_VERIFICATION_PATH, methods=["GET", "POST"])
def enter_code():
    """The code form; ``?user_code=`` (``verification_uri_complete``) fills it in, never submits it."""
    form = UserCodeForm(data={"user_code": request.args.get("user_code", "")})
    if request.method == "GET":
        return _code_page(form)
    address = request.remote_addr
    if device_codes.entry_refused(address):
        return _code_page(form, TOO_MANY, 429)
    if not form.validate_on_submit():
        return _code_page(form, "Enter the code shown on your device.", 400)
    pending = device_codes.find_pending(form.user_code.data)
    if pending is None:
        device_codes.count_failed_entry(address)
        return _code_page(form, WRONG_CODE, 400)
    # The code is proven; the next steps carry a signed reference to the request, not the code,
    # through sign-in (which starts a new session) and back.
    return redirect(url_for("device.decide", request=_signer().dumps(pending.id)), code=303)


@bp.route(paths.DEVICE_CONSENT_PATH, methods=["GET", "POST"])
def decide():
    try:
        request_id = _signer().loads(request.args.get("request", ""), max_age=DeviceAuthorizationEndpoint.EXPIRES_IN)
    except BadData:
        return _code_page(UserCodeForm(), GONE, 400)
    user = current_user()
    if user is None:
        return redirect(login_url(request.full_path.rstrip("?")))
    pending = device_codes.get_pending(request_id)
    client = get_server().query_client(pending.client_id) if pending is not None else None
    if client is None:
        return _code_page(UserCodeForm(), GONE, 400)
    if request.method == "GET":
        return consent_page(client, pending.scope, user, action=request.full_path.rstrip("?"))
    decision = request.form.get("decision")
    if decision not in ("allow", "deny"):
        return consent_page(client, pending.scope, user, action=request.full_path.rstrip("?"))
    approved = decision == "allow"
    signed_in_at = datetime.fromtimestamp(auth_time() or int(time.time()), timezone.utc)
    if not device_codes.decide(pending, user.id, approved, signed_in_at, sign_in_methods()):
        return _code_page(UserCodeForm(), GONE, 400)
    if approved:
        consent.grant(user.id, client.pk, pending.scope)
    return authorization_page(
        make_response(render_template("device/done.html", client_name=client.name, approved=approved))
    )


def _code_page(form: UserCodeForm, error: str | None = None, status: int = 200):
    # The URL may carry the code (verification_uri_complete): no Referer takes it anywhere.
    return authorization_page(make_response(render_template("device/verify.html", form=form, error=error), status))
