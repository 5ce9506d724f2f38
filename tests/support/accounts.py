"""Signing in the way a person does: through the real /login form, CSRF token and all."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import requests

CSRF_INPUT = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*\bvalue="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the (first) form on a page."""
    match = CSRF_INPUT.search(html)
    assert match, "no csrf_token input on the page"
    return match.group(1)


def add_user(app, email: str, password: str, **fields):
    """A local account, made through the accounts service inside ``app``'s context."""
    from authserver.accounts.services import add_user as add

    with app.app_context():
        user = add(email, password, **fields)
        return user


def sign_in(
    session: requests.Session,
    base_url: str,
    email: str,
    password: str,
    next_url: str | None = None,
    *,
    check: bool = True,
) -> requests.Response:
    """GET /login, POST the form with its CSRF token, follow redirects; return the final response.

    With ``check`` (the default) it fails unless sign-in succeeded, i.e. the browser left /login.
    Pass ``next_url`` to land where an authorization request would have resumed.
    """
    login_url = f"{base_url}/login" + (f"?{urlencode({'next': next_url})}" if next_url else "")
    page = session.get(login_url, timeout=10)
    page.raise_for_status()
    response = session.post(
        login_url,
        data={"csrf_token": csrf_token(page.text), "email": email, "password": password},
        timeout=10,
    )
    if check:
        assert response.history and response.history[0].status_code == 303, (
            f"sign-in as {email} failed: {response.status_code} at {response.url}"
        )
    return response
