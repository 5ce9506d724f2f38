from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField


class LogoutForm(FlaskForm):
    """RP-initiated logout parameters carried through the confirmation step (OIDC RP-Initiated Logout 1.0 §2)."""

    id_token_hint = HiddenField()
    client_id = HiddenField()
    post_logout_redirect_uri = HiddenField()
    state = HiddenField()
