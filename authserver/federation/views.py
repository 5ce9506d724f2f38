"""Sign-in through upstream providers: /login/NAME, its callback, linking, and the identities page.

The third-party client's authorization request is the ``next`` path; it rides in the session with
the upstream state and is resumed unaltered. When the person gives up or the upstream fails, the
error page's way back is that same ``next`` (the pending /oauth/authorize request), where the
consent page lets them deny, which returns ``access_denied`` to the client.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from urllib.parse import urlencode

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for

from authserver.accounts import throttle
from authserver.accounts.methods import federated
from authserver.accounts.redirects import safe_next
from authserver.accounts.sessions import current_user
from authserver.accounts.sessions import login_required
from authserver.accounts.sessions import login_url
from authserver.accounts.sessions import login_user
from authserver.audit.services import record
from authserver.errorpages import html_error
from authserver.errorpages import register_html_errors
from authserver.errors import InvalidInput
from authserver.extensions import db_session
from authserver.federation import flows
from authserver.federation import giveup
from authserver.federation import identities
from authserver.federation import services
from authserver.federation._core import STATE_TTL
from authserver.federation._core import UpstreamFailure
from authserver.federation._core import UpstreamUser
from authserver.federation.messages import FAILURES
from authserver.federation.messages import OUTCOMES
from authserver.paths import IDENTITIES_PATH
from authserver.paths import LINK_CONFIRM_PATH
from authserver.paths import LOGIN_PATH
from authserver.paths import UPSTREAM_CALLBACK_PATH
from authserver.paths import UPSTREAM_LINK_PATH
from authserver.paths import UPSTREAM_LOGIN_PATH
from shared.metrics import UPSTREAM_ERRORS

bp = Blueprint("federation", __name__)
register_html_errors(bp)

PENDING = "fed_pending"


class _EnabledProviders:
    """Lazy, so pages that never show the buttons (and error pages) never query for them."""

    def __init__(self):
        self._buttons: list[SimpleNamespace] | None = None

    def _load(self) -> list[SimpleNamespace]:
        if self._buttons is None:
            next_url = safe_next(request.args.get("next"), default="")
            query = "?" + urlencode({"next": next_url}) if next_url else ""
            self._buttons = [
                SimpleNamespace(
                    name=provider.name,
                    display_name=services.display_name(provider),
                    login_url=UPSTREAM_LOGIN_PATH.replace("<name>", provider.name) + query,
                )
                for provider in services.list_providers(enabled_only=True)
            ]
        return self._buttons

    def __iter__(self):
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


@bp.app_context_processor
def upstream_providers_processor():
    return {"upstream_providers": _EnabledProviders()}


def _fail(provider, reason: str, back_url: str, detail: str = "", status: int = 400, next_url: str | None = None):
    """A friendly page with a way back; the attempt is audited and nothing of it is kept."""
    db_session().rollback()
    record("upstream.login_failed", provider=provider.name, reason=reason, detail=detail[:200])
    UPSTREAM_ERRORS.labels("authserver", provider.name, reason).inc()
    db_session().commit()
    label = services.display_name(provider)
    title, message = (text.format(provider=label) for text in FAILURES[reason])
    way_back = giveup.denial_for(next_url or back_url)
    body = render_template("federation/failed.html", title=title, message=message, back_url=back_url, way_back=way_back)
    return body, status


def _login_back(next_url: str | None) -> str:
    return login_url(next_url) if next_url else LOGIN_PATH


@bp.get(UPSTREAM_LOGIN_PATH)
def start(name: str):
    provider = services.get_provider(name)
    if provider is None:
        abort(404)
    next_url = safe_next(request.args.get("next"), default="") or None
    try:
        return redirect(flows.begin(provider, next=next_url, intent="login"))
    except UpstreamFailure as exc:
        return _fail(provider, exc.reason, next_url or LOGIN_PATH, exc.detail, status=502)


@bp.post(UPSTREAM_LINK_PATH)
@login_required
def start_link(name: str):
    provider = services.get_provider(name)
    if provider is None:
        abort(404)
    try:
        return redirect(flows.begin(provider, next=IDENTITIES_PATH, intent="link", uid=current_user().id))
    except UpstreamFailure as exc:
        return _fail(provider, exc.reason, IDENTITIES_PATH, exc.detail, status=502)


@bp.get(UPSTREAM_CALLBACK_PATH)
def callback(name: str):
    provider = services.get_provider(name)
    if provider is None:
        abort(404)
    data = flows.take_state(provider, request.args.get("state"))
    if data is None:
        # RFC 6749 §10.12: a callback this browser did not start here may carry someone else's code.
        return _fail(provider, "state", LOGIN_PATH)
    back = data.get("next") or LOGIN_PATH
    if request.args.get("error"):
        reason = "cancelled" if request.args["error"] == "access_denied" else "upstream_error"
        return _fail(provider, reason, back, request.args.get("error", "")[:64])
    code = request.args.get("code")
    if not code:
        return _fail(provider, "upstream_error", back, "no code")
    try:
        upstream = flows.finish(provider, code, data)
    except UpstreamFailure as exc:
        return _fail(provider, exc.reason, back, exc.detail, status=502 if exc.reason == "unavailable" else 400)
    if data.get("intent") == "link":
        return _finish_link(provider, upstream, data)
    return _finish_login(provider, upstream, data.get("next"))


def _finish_login(provider, upstream: UpstreamUser, next_url: str | None):
    outcome = identities.sign_in(provider, upstream)
    if outcome.kind in (identities.SIGNED_IN, identities.CREATED):
        login_user(outcome.user, amr=federated(upstream.amr))
        return redirect(next_url or safe_next(None), code=303)
    if outcome.kind == identities.CONFIRM_LINK:
        session[PENDING] = {
            "provider": provider.name,
            "subject": upstream.subject,
            "email": outcome.user.email,
            "email_verified": upstream.email_verified,
            "name": upstream.name,
            "user_id": outcome.user.id,
            "next": next_url,
            "exp": time.time() + STATE_TTL,
        }
        return redirect(url_for("federation.confirm_link"), code=303)
    status = 409 if outcome.kind == identities.EMAIL_TAKEN else 400
    return _fail(provider, outcome.kind, _login_back(next_url), status=status, next_url=next_url)


def _finish_link(provider, upstream: UpstreamUser, data: dict):
    user = current_user()
    if user is None or user.id != data.get("uid"):
        return _fail(provider, "session_changed", LOGIN_PATH)
    outcome = identities.link(user, provider, upstream)
    if outcome.kind == identities.LINKED_ELSEWHERE:
        return _fail(provider, outcome.kind, IDENTITIES_PATH, status=409)
    flash(f"{services.display_name(provider)} is linked to your account.", "notice")
    return redirect(IDENTITIES_PATH, code=303)


def _pending() -> dict | None:
    pending = session.get(PENDING)
    if not pending or pending.get("exp", 0) < time.time():
        session.pop(PENDING, None)
        return None
    return pending


@bp.route(LINK_CONFIRM_PATH, methods=["GET", "POST"])
def confirm_link():
    """Prove control of the existing account with its password before an upstream identity joins it."""
    pending = _pending()
    if pending is None:
        return html_error(400, *OUTCOMES["link_expired"], LOGIN_PATH)
    provider = services.get_provider(pending["provider"])
    if provider is None:
        session.pop(PENDING, None)
        return html_error(400, *OUTCOMES["link_expired"], LOGIN_PATH)
    label = services.display_name(provider)
    error, status = None, 200
    if request.method == "POST":
        email = pending["email"]
        attempt = throttle.attempt_password(
            request.remote_addr, email, request.form.get("password", "")[:1024], user_id=pending["user_id"]
        )
        if attempt.throttled:
            error, status = throttle.THROTTLED, 429
        elif attempt.user is None:
            error, status = "That password doesn't match this account.", 401
        else:
            user = attempt.user
            upstream = UpstreamUser(pending["subject"], email, pending["email_verified"], pending["name"])
            outcome = identities.link(user, provider, upstream)
            if outcome.kind == identities.LINKED_ELSEWHERE:
                session.pop(PENDING, None)
                return _fail(provider, outcome.kind, LOGIN_PATH, status=409)
            login_user(user)
            flash(f"{label} is now linked to your account.", "notice")
            return redirect(pending["next"] or safe_next(None), code=303)
    body = render_template(
        "federation/link.html",
        email=pending["email"],
        provider=label,
        error=error,
        cancel_url=_login_back(pending["next"]),
    )
    return body, status


@bp.get(IDENTITIES_PATH)
@login_required
def identities_page():
    user = current_user()
    linked = identities.identities_of(user)
    linked_ids = {provider.id for _identity, provider in linked}
    available = [p for p in services.list_providers(enabled_only=True) if p.id not in linked_ids]
    can_unlink = user.password_hash is not None or len(linked) > 1
    return render_template(
        "federation/identities.html",
        user=user,
        linked=linked,
        available=available,
        can_unlink=can_unlink,
        label=services.display_name,
    )


# Ids are INTEGER columns: a larger number in the URL is no page (the database would raise, not find nothing).
@bp.post(IDENTITIES_PATH + "/<int(max=2147483647):identity_id>/unlink")
@login_required
def unlink(identity_id: int):
    try:
        identities.unlink(current_user(), identity_id)
    except InvalidInput as exc:
        db_session().rollback()
        return html_error(409, "That can't be removed", str(exc), IDENTITIES_PATH)
    flash("Removed.", "notice")
    return redirect(IDENTITIES_PATH, code=303)
