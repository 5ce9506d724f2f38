"""The portal's forms. Field names are RFC 7591's (and the contract's): the checks themselves are
``clients.metadata.validate_client_metadata``, whose per-member errors land next to these fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms import widgets
from wtforms.fields.choices import SelectChoice

from authserver.clients.metadata import MAX_DESCRIPTION_LENGTH
from authserver.clients.metadata import MAX_NAME_LENGTH
from authserver.clients.metadata import MAX_URL_LENGTH
from authserver.clients.metadata import URL_FIELDS
from authserver.clients.rotation import GRACE_PERIODS

APP_TYPE_CHOICES = [
    SelectChoice("web", "Web app with a server (confidential: a client secret, authorization code + refresh tokens)"),
    SelectChoice("spa", "Single-page app in the browser (public: no secret, authorization code with PKCE)"),
    SelectChoice("native", "Native or desktop app (public: PKCE; loopback or com.example.app:/ redirect URIs)"),
    SelectChoice("service", "Partner service calling APIs as itself (client credentials)"),
]
GRACE_LABELS = {"none": "None: the old secret stops working now", "1h": "1 hour", "1d": "1 day", "7d": "7 days"}
GRACE_CHOICES = [SelectChoice(value, GRACE_LABELS[value]) for value in GRACE_PERIODS]


class CheckboxesField(SelectMultipleField):
    """One checkbox per choice, each named after the field (``scope``), as a plain HTML form sends them."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form) -> None:
        """Unknown names are for ``validate_client_metadata`` to report, with its message."""


class AppForm(FlaskForm):
    client_name = StringField("App name", render_kw={"maxlength": MAX_NAME_LENGTH, "required": True})
    description = TextAreaField("Description", render_kw={"maxlength": MAX_DESCRIPTION_LENGTH, "rows": 3})
    app_type = RadioField("Kind of app", choices=APP_TYPE_CHOICES, default="web")
    redirect_uris = TextAreaField("Redirect URIs (one per line)", render_kw={"rows": 4})
    scope = CheckboxesField("Scopes it may ask for", choices=[])
    client_uri = StringField("Home page URL", render_kw={"maxlength": MAX_URL_LENGTH})
    logo_uri = StringField("Logo URL", render_kw={"maxlength": MAX_URL_LENGTH})
    policy_uri = StringField("Privacy policy URL", render_kw={"maxlength": MAX_URL_LENGTH})
    tos_uri = StringField("Terms of service URL", render_kw={"maxlength": MAX_URL_LENGTH})

    def metadata_values(self) -> dict:
        """The submitted form as RFC 7591 members, for ``validate_client_metadata``."""
        values = {name: self[name].data for name in ("client_name", "description", "app_type", *URL_FIELDS)}
        values["redirect_uris"] = (self.redirect_uris.data or "").splitlines()
        values["scope"] = list(self.scope.data or [])
        return values

    def show_errors(self, errors: dict[str, str]) -> list[str]:
        """Put each member's message next to its field; what belongs to no field is returned."""
        general = []
        for member, message in errors.items():
            if member in self._fields and member != "csrf_token":
                self[member].errors = [*self[member].errors, message]
            else:
                general.append(message)
        return general


class RotateForm(FlaskForm):
    grace = RadioField("Keep the old secret working for", choices=GRACE_CHOICES, default="none")


class ConfirmForm(FlaskForm):
    """A destructive action's confirmation: only the CSRF token."""
