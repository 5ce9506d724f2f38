"""The sign-in page (signing out is RP-initiated logout's page, oauth2/logout_views.py)."""

from __future__ import annotations

from flask import Blueprint
from flask import redirect
from flask import render_template
from flask import request
from flask_wtf.csrf import CSRFError

from authserver.accounts import throttle
from authserver.accounts.forms import LoginForm
from authserver.accounts.redirects import safe_next
from authserver.accounts.sessions import current_user
from authserver.accounts.sessions import login_user
from authserver.errorpages import csrf_error
from authserver.errorpages import register_html_errors
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
        password = form.password.data if form.validate_on_submit() else None
        attempt = throttle.attempt_password(request.remote_addr, form.email.data or "", password)
        if attempt.user is not None:
            login_user(attempt.user)
            return redirect(next_url, code=303)
        error, status = (throttle.THROTTLED, 429) if attempt.throttled else (BAD_CREDENTIALS, 401)
        form.password.data = ""
    return render_template(
        "accounts/login.html", form=form, error=error, next_url=next_url, user=current_user()
    ), status
