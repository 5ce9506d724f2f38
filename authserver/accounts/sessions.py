"""Who is signed in: a signed, HttpOnly, SameSite=Lax session cookie holding the user's id.

The session is renewed (cleared and given a new id) at sign-in, so a session fixed before sign-in
is worth nothing after it. A signed cookie stays valid until it expires, wherever a copy of it went;
so signing out also records its id as ended, in the shared security state (authserver/state), and
such a cookie signs nobody in.
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Sequence
from urllib.parse import urlencode

from flask import current_app
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask.sessions import SecureCookieSessionInterface

from authserver.accounts.methods import PASSWORD
from authserver.accounts.methods import amr_column
from authserver.accounts.models import User
from authserver.extensions import db_session
from authserver.paths import LOGIN_PATH
from authserver.state.services import security_store


class PageSessionInterface(SecureCookieSessionInterface):
    """Cookie sessions for the pages people visit, none for the endpoints machines call.

    The token, introspection and other client endpoints authenticate every call by its own
    credentials; reading and verifying a cookie there would be work on the hottest paths for nothing.
    Those requests get Flask's null session, which refuses to be written.
    """

    def __init__(self, sessionless_paths: frozenset[str]):
        self.sessionless_paths = sessionless_paths

    def open_session(self, app, request):
        if request.path in self.sessionless_paths:
            return None
        return super().open_session(app, request)


def current_user() -> User | None:
    if "current_user" not in g:
        user = None
        user_id = session.get("uid")
        if user_id is not None and _ended(session.get("sid")):
            session.clear()
        elif user_id is not None:
            user = db_session().get(User, user_id)
            if user is None or user.disabled:
                session.clear()
                user = None
        g.current_user = user
    return g.current_user


def auth_time() -> int | None:
    return session.get("auth_time")


def sign_in_methods() -> str | None:
    """How the signed-in person authenticated (``accounts.methods``' stored form)."""
    amr = session.get("amr")
    return amr_column(amr) if isinstance(amr, list) else None


def login_user(user: User, amr: Sequence[str] = (PASSWORD,)) -> None:
    """``amr``: the RFC 8176 methods the person just used (``accounts.methods``)."""
    _end_session()
    session.clear()
    session["sid"] = secrets.token_urlsafe(16)
    session["uid"] = user.id
    session["auth_time"] = int(time.time())
    session["amr"] = list(amr)
    g.current_user = user


def logout_user() -> None:
    _end_session()
    session.clear()
    g.current_user = None


def _end_session() -> None:
    sid = session.get("sid")
    if sid and session.get("uid") is not None:
        # Long enough that the cookie itself has expired by the time the entry does.
        lifetime = current_app.permanent_session_lifetime.total_seconds()
        security_store("ended-sessions", fail_open=True).set(sid, "1", lifetime)


def _ended(sid: str | None) -> bool:
    return not sid or security_store("ended-sessions", fail_open=True).get(sid) is not None


def login_url(next_url: str) -> str:
    return LOGIN_PATH + "?" + urlencode({"next": next_url})


def login_required(view):
    """Send people who are not signed in to the login page, and back here afterwards."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_user() is None:
            return redirect(login_url(request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper
