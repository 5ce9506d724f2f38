"""OpenID Connect RP-Initiated Logout 1.0's pages: ``end_session_endpoint``, also the sign-out people use."""

from __future__ import annotations

from flask import Blueprint
from flask import redirect
from flask import render_template
from flask import request

from authserver.accounts.sessions import current_user
from authserver.accounts.sessions import logout_user
from authserver.audit.services import record
from authserver.errorpages import register_html_errors
from authserver.extensions import csrf
from authserver.extensions import db_session
from authserver.oauth2.forms import LogoutForm
from authserver.oauth2.logout import LogoutRequest
from authserver.oauth2.logout import redirect_target
from authserver.paths import END_SESSION_PATH

bp = Blueprint("logout", __name__)
register_html_errors(bp)


@bp.get(END_SESSION_PATH)
def confirm():
    """The end_session_endpoint: asks before signing out, so a third-party page cannot sign people out."""
    return _confirm(request.args)


# RP-Initiated Logout 1.0 §2: relying parties may also POST here, from their own pages, without our
# CSRF token. The token is checked below instead: without it nobody is signed out, they are asked.
@bp.post(END_SESSION_PATH)
@csrf.exempt
def sign_out():
    form = LogoutForm()
    if not form.validate():
        return _confirm(request.form)
    user = current_user()
    if user is not None:
        record("logout", user_id=user.id)
        db_session().commit()
    logout_user()
    return _finish(_logout_request(form))


def _confirm(params):
    if current_user() is None:
        return _finish(_logout_request(LogoutForm(formdata=params, meta={"csrf": False})))
    form = LogoutForm(formdata=params)
    return render_template("oauth2/logout.html", form=form, user=current_user())


def _logout_request(form: LogoutForm) -> LogoutRequest:
    return LogoutRequest(
        id_token_hint=form.id_token_hint.data or None,
        client_id=form.client_id.data or None,
        post_logout_redirect_uri=form.post_logout_redirect_uri.data or None,
        state=form.state.data or None,
    )


def _finish(logout_request: LogoutRequest):
    target = redirect_target(logout_request)
    if target is not None:
        return redirect(target, code=303)
    return render_template("oauth2/signed_out.html")
