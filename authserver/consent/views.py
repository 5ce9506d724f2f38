"""The connected-apps page: what each app may do, and a way to take it back (CSRFProtect guards the POST)."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for

from authserver.accounts.sessions import current_user
from authserver.accounts.sessions import login_required
from authserver.clients.services import find_client
from authserver.consent import services
from authserver.errorpages import register_html_errors
from authserver.paths import ACCOUNT_APPS_PATH

bp = Blueprint("consent", __name__)
register_html_errors(bp)


@bp.get(ACCOUNT_APPS_PATH)
@login_required
def apps():
    user = current_user()
    return render_template("consent/apps.html", apps=services.connected_apps(user.id), user=user)


@bp.post(ACCOUNT_APPS_PATH + "/<client_id>/revoke")
@login_required
def revoke(client_id: str):
    client = find_client(client_id)
    if client is None or not services.revoke(current_user().id, client):
        abort(404, "You have not connected that app, or its access was already removed.")
    flash(f"{client.name} can no longer access your account.", "success")
    return redirect(url_for("consent.apps"), code=303)
