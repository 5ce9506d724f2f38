"""Forms of the protocol's own pages (the consent form is plain HTML: its buttons are the answer)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length


class LogoutForm(FlaskForm):
    """RP-initiated logout parameters carried through the confirmation step (OIDC RP-Initiated Logout 1.0 §2)."""

    id_token_hint = HiddenField()
    client_id = HiddenField()
    post_logout_redirect_uri = HiddenField()
    state = HiddenField()


class UserCodeForm(FlaskForm):
    """The code a device shows (RFC 8628 §3.3); normalised by the service, so only bounded here."""

    user_code = StringField("Code", validators=[DataRequired(), Length(max=64)])
