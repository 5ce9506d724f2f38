"""The developer portal at /developer/apps: register, see, edit, rotate and delete one's own apps.

Pages only: the rules are ``clients.metadata`` (what may be registered), ``clients.services`` and
``clients.rotation`` (what happens), ``scopes.approvals`` (what waits for an admin). Another
person's app, or a deleted one, is a 404: the portal never says an id exists. A client secret is
shown once, on the page right after registering or rotating: the view that made it seals it into
the session and the credentials page takes it out, so a reload or a later visit shows it no more.
"""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import session
from flask import url_for
from wtforms.fields.choices import SelectChoice

from authserver.accounts.sessions import current_user
from authserver.accounts.sessions import login_required
from authserver.clients import rotation
from authserver.clients import services as clients
from authserver.clients.metadata import MetadataError
from authserver.clients.metadata import validate_client_metadata
from authserver.clients.models import Client
from authserver.errorpages import register_html_errors
from authserver.errors import InvalidInput
from authserver.errors import NotFound
from authserver.extensions import get_config
from authserver.paths import DEVELOPER_APPS_PATH
from authserver.portal.forms import AppForm
from authserver.portal.forms import ConfirmForm
from authserver.portal.forms import RotateForm
from authserver.scopes.approvals import withheld_scopes
from authserver.scopes.catalog import list_scopes
from authserver.usage.services import daily_usage
from shared.security import SecretBox

bp = Blueprint("portal", __name__)
register_html_errors(bp)

APP_PATH = DEVELOPER_APPS_PATH + "/<client_id>"
SHOWN_ONCE = "portal.secret"  # the session key holding a new secret until its page is shown


def _owned(client_id: str) -> Client:
    try:
        return clients.owned_client(current_user().id, client_id)
    except NotFound:
        abort(404, "There is no app with that id among yours.")


def _app_form(client: Client | None = None) -> AppForm:
    form = AppForm()
    scopes = list_scopes()
    form.scope.choices = [SelectChoice(scope.name) for scope in scopes]
    form.scope_rows = scopes
    if client is not None and not form.is_submitted():
        form.client_name.data = client.name
        form.description.data = client.description
        form.app_type.data = client.app_type or "web"
        form.redirect_uris.data = "\n".join(client.redirect_uris)
        form.scope.data = list(client.scopes)
        for name in ("client_uri", "logo_uri", "policy_uri", "tos_uri"):
            form[name].data = getattr(client, name)
    return form


def _checked(form: AppForm):
    """The form's metadata if it passes every check; otherwise None, with the errors on the form."""
    if not form.validate_on_submit():
        return None
    try:
        return validate_client_metadata(form.metadata_values())
    except MetadataError as error:
        form.general_errors = form.show_errors(error.errors)
        return None


def _box() -> SecretBox:
    return SecretBox(get_config().secret_key, "portal-secret-shown-once")


def _show_once(client: Client, secret: str | None):
    """Keep the new secret (sealed) for the next page only, and go there (POST, then redirect, then GET)."""
    if secret:
        session[SHOWN_ONCE] = {"client_id": client.client_id, "sealed": _box().seal(secret)}
    return redirect(url_for("portal.credentials", client_id=client.client_id), code=303)


@bp.get(DEVELOPER_APPS_PATH)
@login_required
def apps():
    return render_template("portal/apps.html", apps=clients.list_clients(owner_id=current_user().id))


@bp.route(DEVELOPER_APPS_PATH + "/new", methods=["GET", "POST"])
@login_required
def register():
    form = _app_form()
    metadata = _checked(form)
    if metadata is not None:
        try:
            registration = clients.create_client(metadata, registered_via="portal", owner_id=current_user().id)
        except MetadataError as error:
            form.general_errors = form.show_errors(error.errors)
        else:
            return _show_once(registration.client, registration.client_secret)
    status = 400 if form.is_submitted() else 200
    return render_template("portal/form.html", form=form, client=None), status


@bp.get(APP_PATH)
@login_required
def app(client_id: str):
    client = _owned(client_id)
    return render_template(
        "portal/app.html", client=client, waiting=withheld_scopes(client), usage=daily_usage(client.client_id)
    )


@bp.get(APP_PATH + "/credentials")
@login_required
def credentials(client_id: str):
    client = _owned(client_id)
    shown = session.pop(SHOWN_ONCE, None)
    secret = None
    if shown is not None and shown.get("client_id") == client.client_id:
        secret = _box().open(shown["sealed"])
    response = render_template("portal/credentials.html", client=client, client_secret=secret)
    return response, 200, {"Cache-Control": "no-store"}


@bp.route(APP_PATH + "/edit", methods=["GET", "POST"])
@login_required
def edit(client_id: str):
    client = _owned(client_id)
    form = _app_form(client)
    metadata = _checked(form)
    if metadata is not None:
        registration = clients.update_client(client, metadata)
        if registration.client_secret:  # it became a confidential client: its first secret
            return _show_once(client, registration.client_secret)
        flash("Your changes are saved.", "success")
        return redirect(url_for("portal.app", client_id=client.client_id), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("portal/form.html", form=form, client=client), status


@bp.route(APP_PATH + "/rotate", methods=["GET", "POST"])
@login_required
def rotate(client_id: str):
    client = _owned(client_id)
    if client.client_secret_digest is None:
        abort(404, "This app has no client secret to rotate.")
    form = RotateForm()
    if form.validate_on_submit():
        try:
            registration = rotation.rotate_secret(client, rotation.GRACE_PERIODS[form.grace.data])
        except InvalidInput as error:
            form.grace.errors = [str(error)]
        else:
            return _show_once(client, registration.client_secret)
    return render_template("portal/rotate.html", form=form, client=client)


@bp.route(APP_PATH + "/delete", methods=["GET", "POST"])
@login_required
def delete(client_id: str):
    client = _owned(client_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        revoked = clients.delete_client(client)
        flash(f"{client.name} is deleted; {revoked} of its tokens stopped working.", "success")
        return redirect(url_for("portal.apps"), code=303)
    return render_template("portal/delete.html", form=form, client=client)
