"""An example third-party web app: "Sign in with" our authorization server, then chat with the AI API.

What a developer writes against us, with nothing of ours imported: Flask, and Authlib's Flask
client configured only from the server's discovery document. It signs people in with the
authorization code flow and PKCE (S256), calls ``/v1/chat/completions`` with the person's access
token, refreshes that token when it expires, sends people back to sign-in when it is revoked, and
signs out with OpenID Connect RP-Initiated Logout.

Configuration, from the environment:

- ``WEB_APP_ISSUER``: the authorization server (default ``http://127.0.0.1:5000``)
- ``WEB_APP_CLIENT_ID``, ``WEB_APP_CLIENT_SECRET``: this app's registration there
- ``WEB_APP_API_URL``: the OpenAI-compatible API (default ``http://127.0.0.1:5001/v1``)
- ``WEB_APP_MODEL``: the model to chat with (default ``demo-chat``)
- ``WEB_APP_SECRET_KEY``: signs this app's session cookie (default: random at each start)

The tokens live in Flask's session cookie (signed, HttpOnly): small enough, and only ever the
signed-in person's own. An app with more to guard would keep them server-side, keyed by the session.

Run it: ``granian --interface wsgi --port 8000 examples.web_app.wsgi:app``. Register it with
``--redirect-uri http://127.0.0.1:8000/callback --post-logout-redirect-uri http://127.0.0.1:8000/``
and ``--scope "openid email offline_access chat:create"``.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlencode

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_wtf.csrf import CSRFProtect

SCOPE = "openid email offline_access chat:create"


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    env = os.environ
    app.config.update(
        ISSUER=env.get("WEB_APP_ISSUER", "http://127.0.0.1:5000"),
        CLIENT_ID=env.get("WEB_APP_CLIENT_ID"),
        CLIENT_SECRET=env.get("WEB_APP_CLIENT_SECRET"),
        API_URL=env.get("WEB_APP_API_URL", "http://127.0.0.1:5001/v1"),
        MODEL=env.get("WEB_APP_MODEL", "demo-chat"),
        SECRET_KEY=env.get("WEB_APP_SECRET_KEY") or secrets.token_hex(32),
    )
    app.config.update(config or {})
    CSRFProtect(app)
    oauth = _oauth_client(app)

    @app.get("/")
    def home():
        return render_template("index.html", user=session.get("user"))

    @app.get("/login")
    def login():
        return oauth.authserver.authorize_redirect(url_for("callback", _external=True))

    @app.get("/callback")
    def callback():
        try:
            token = oauth.authserver.authorize_access_token()  # checks state, sends the PKCE verifier
        except OAuthError as error:  # access_denied, or a code the server refused
            flash(f"Sign-in failed: {error.description or error.error}")
            return redirect(url_for("home"))
        claims = token.get("userinfo") or {}  # the id_token's claims, checked by Authlib
        if "email" not in claims:
            claims = oauth.authserver.userinfo(token=token)
        session["token"] = token
        session["user"] = {"email": claims.get("email"), "sub": claims["sub"]}
        return redirect(url_for("home"))

    @app.post("/")
    def chat():
        if "user" not in session:
            return redirect(url_for("home"))
        message = request.form.get("message", "").strip()
        body = {"model": app.config["MODEL"], "messages": [{"role": "user", "content": message}]}
        try:
            # Authlib refreshes the access token first if it has expired (and calls save_token).
            response = oauth.authserver.post(app.config["API_URL"] + "/chat/completions", json=body, timeout=30)
        except OAuthError:  # the refresh token was refused: revoked, expired, or replayed
            return _signed_out("Your session has ended. Please sign in again.")
        except requests.RequestException:  # the API (or the server, for a refresh) did not answer
            flash("The AI API could not be reached. Please try again in a moment.")
            return redirect(url_for("home"))
        if response.status_code == 401:  # the access token was revoked
            return _signed_out("Your session has ended. Please sign in again.")
        if response.status_code != 200:
            error = (
                response.json().get("error", {})
                if response.headers.get("Content-Type", "").startswith("application/json")
                else {}
            )
            flash(f"The API refused: {error.get('message', response.status_code)}")
            return redirect(url_for("home"))
        answer = response.json()["choices"][0]["message"]["content"]
        return render_template("index.html", user=session["user"], message=message, answer=answer)

    @app.post("/logout")
    def logout():
        """OpenID Connect RP-Initiated Logout: end our session, then the server's."""
        id_token = (session.get("token") or {}).get("id_token")
        session.clear()
        metadata = oauth.authserver.load_server_metadata()
        params = {"post_logout_redirect_uri": url_for("home", _external=True), "client_id": app.config["CLIENT_ID"]}
        if id_token:
            params["id_token_hint"] = id_token
        return redirect(metadata["end_session_endpoint"] + "?" + urlencode(params))

    return app


def _oauth_client(app: Flask) -> OAuth:
    """Everything about the server comes from its discovery document (OpenID Connect Discovery)."""
    oauth = OAuth(app)
    oauth.register(
        "authserver",
        client_id=app.config["CLIENT_ID"],
        client_secret=app.config["CLIENT_SECRET"],
        server_metadata_url=app.config["ISSUER"] + "/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256"},
        fetch_token=lambda: session.get("token"),
        update_token=_save_refreshed_token,
    )
    return oauth


def _save_refreshed_token(token, refresh_token=None, access_token=None) -> None:
    """Refresh tokens rotate: keep the new one, or the next refresh presents a spent token and the
    server, taking it for a replay, revokes the whole sign-in."""
    session["token"] = {**session.get("token", {}), **token}  # a refresh answer has no id_token


def _signed_out(message: str):
    session.clear()
    flash(message)
    return redirect(url_for("home"))
