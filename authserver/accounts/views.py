"""Sign-in and sign-out pages."""

from __future__ import annotations

from flask import Blueprint
from flask import redirect
from flask import render_template
from flask import request
from flask_wtf.csrf import CSRFError

from authserver.accounts import throttle
from authserver.accounts.forms import LoginForm
from authserver.accounts.forms import LogoutForm
from authserver.accounts.logout import LogoutRequest
from authserver.accounts.logout import redirect_target
from authserver.accounts.redirects import safe_next
from authserver.accounts.services import authenticate
from authserver.accounts.sessions import current_user
from authserver.accounts.sessions import login_user
from authserver.accounts.sessions import logout_user
from authserver.audit.services import record
from authserver.errorpages import csrf_error
from authserver.errorpages import register_html_errors
from authserver.extensions import csrf
from authserver.extensions import db_session
from authserver.paths import END_SESSION_PATH
from authserver.paths import LOGIN_PATH

bp = Blueprint("accounts", __name__)
register_html_errors(bp)
# Only forms people submit carry CSRF tokens (API endpoints are exempt), so wherever the check
# fails — the consent form included — the answer is a page, not JSON.
bp.app_errorhandler(CSRFError)(csrf_error)

BAD_CREDENTIALS = "That email and password don't match an active account."


@bp.app_context_processor
def signed_in_user_processor():
    return {"signed_in_user": current_user}


@bp.route(LOGIN_PATH, methods=["GET", "POST"])
def login():
    next_url = safe_next(request.args.get("next"))
    form = LoginForm()
    error = None
    status = 200
    if request.method == "POST":
        email = form.email.data or ""
        if throttle.refused(request.remote_addr, email):
            error, status = throttle.THROTTLED, 429
        elif form.validate_on_submit() and (user := authenticate(email, form.password.data)) is not None:
            throttle.clear(email)
            login_user(user)
            return redirect(next_url, code=303)
        else:
            throttle.count_failure(request.remote_addr, email)
            error, status = BAD_CREDENTIALS, 401
        form.password.data = ""
    return render_template("accounts/login.html", form=form, error=error, next_url=next_url, user=current_user()), status


@bp.get(END_SESSION_PATH)
def logout_confirm():
    """The end_session_endpoint: asks before signing out, so a third-party page cannot sign people out."""
    return _confirm(request.args)


# RP-Initiated Logout 1.0 §2: relying parties may also POST here, from their own pages, without our
# CSRF token. The token is checked below instead: without it nobody is signed out, they are asked.
@bp.post(END_SESSION_PATH)
@csrf.exempt
def logout():
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
    return render_template("accounts/logout.html", form=form, user=current_user())


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
    return render_template("accounts/signed_out.html")
