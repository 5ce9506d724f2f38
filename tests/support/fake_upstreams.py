"""Fake upstream identity providers, served as real HTTP servers on 127.0.0.1.

``FakeOidcProvider`` speaks OpenID Connect with real RS256-signed id_tokens (discovery, JWKS,
authorize, token, userinfo); ``FakeGitHub`` is shaped like GitHub's OAuth and REST API. Both approve
the configured ``user`` at once by redirecting back with a code, check PKCE (S256) and client
authentication at the token endpoint, and record what they were sent so tests can assert on it.
``misbehave`` makes them answer wrongly in one chosen way.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import urlencode

from flask import Flask
from flask import jsonify
from flask import redirect
from flask import request
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwk import RSAKey

from tests.support.live_server import LiveServer

# Generating RSA keys is slow; every fake of a test session signs with the same one.
_KEY = RSAKey.generate_key(2048, parameters={"kid": "fake-1", "use": "sig", "alg": "RS256"})
_OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "fake-1", "use": "sig", "alg": "RS256"})


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


class _FakeUpstream:
    authorize_path = "/authorize"
    token_path = "/token"

    def __init__(self, client_id: str = "our-client", client_secret: str = "our-secret"):
        self.server = LiveServer()
        self.url = self.server.url
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris: list[str] = []
        self.user = {"sub": "upstream-user-1", "email": "ada@example.com", "email_verified": True, "name": "Ada"}
        self.misbehave: str | None = None
        self.token_delay = 0.0
        self.authorize_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.app = Flask(type(self).__name__)
        self.app.add_url_rule(self.authorize_path, "authorize", self.authorize)
        self.app.add_url_rule(self.token_path, "token", self.token, methods=["POST"])

    def start(self):
        self.server.start(self.app)
        return self

    def stop(self) -> None:
        self.server.stop()

    def authorize(self):
        args = request.args.to_dict()
        self.authorize_requests.append(args)
        if args.get("client_id") != self.client_id or args.get("redirect_uri") not in self.redirect_uris:
            return "unknown client or redirect_uri", 400
        back = args["redirect_uri"]
        if self.misbehave == "deny":
            return redirect(f"{back}?{urlencode({'error': 'access_denied', 'state': args.get('state', '')})}")
        if args.get("response_type") != "code" or args.get("code_challenge_method") != "S256":
            return redirect(f"{back}?{urlencode({'error': 'invalid_request', 'state': args.get('state', '')})}")
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"args": args, "user": dict(self.user)}
        return redirect(f"{back}?{urlencode({'code': code, 'state': args.get('state', '')})}")

    def _client_authenticated(self) -> str | None:
        """The client authentication method used, when the credentials are right."""
        auth = request.authorization
        if auth and auth.type == "basic":
            ok = (auth.username, auth.password) == (self.client_id, self.client_secret)
            return "client_secret_basic" if ok else None
        form = request.form
        if (form.get("client_id"), form.get("client_secret")) == (self.client_id, self.client_secret):
            return "client_secret_post"
        return None

    def token(self):
        if self.token_delay:
            time.sleep(self.token_delay)
        form = request.form.to_dict()
        method = self._client_authenticated()
        self.token_requests.append({**form, "auth_method": method})
        if method is None:
            return jsonify(error="invalid_client"), 401
        grant = self.codes.pop(form.get("code", ""), None)
        if form.get("grant_type") != "authorization_code" or grant is None:
            return jsonify(error="invalid_grant"), 400
        if form.get("redirect_uri") != grant["args"]["redirect_uri"]:
            return jsonify(error="invalid_grant", error_description="redirect_uri"), 400
        if s256(form.get("code_verifier", "")) != grant["args"].get("code_challenge"):
            return jsonify(error="invalid_grant", error_description="PKCE verification failed"), 400
        if self.misbehave == "token_error":
            return jsonify(error="server_error"), 400
        access_token = secrets.token_urlsafe(24)
        self.tokens[access_token] = grant["user"]
        return jsonify(self.token_response(access_token, grant))

    def token_response(self, access_token: str, grant: dict) -> dict:
        return {"access_token": access_token, "token_type": "bearer", "scope": grant["args"].get("scope", "")}

    def bearer_user(self) -> dict | None:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        return self.tokens.get(value) if scheme.lower() == "bearer" else None


class FakeOidcProvider(_FakeUpstream):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.auth_methods = ["client_secret_basic", "client_secret_post"]
        self.app.add_url_rule("/.well-known/openid-configuration", "discovery", self.discovery)
        self.app.add_url_rule("/jwks", "jwks", self.jwks)
        self.app.add_url_rule("/userinfo", "userinfo", self.userinfo)
        self.discovery_hits = 0

    def discovery(self):
        self.discovery_hits += 1
        return jsonify(
            issuer="https://evil.example" if self.misbehave == "discovery_issuer" else self.url,
            authorization_endpoint=self.url + self.authorize_path,
            token_endpoint=self.url + self.token_path,
            userinfo_endpoint=self.url + "/userinfo",
            jwks_uri=self.url + "/jwks",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            token_endpoint_auth_methods_supported=self.auth_methods,
            code_challenge_methods_supported=["S256"],
        )

    def jwks(self):
        return jsonify(KeySet([_KEY]).as_dict(private=False))

    def userinfo(self):
        user = self.bearer_user()
        if user is None:
            return jsonify(error="invalid_token"), 401
        return jsonify(user)

    def token_response(self, access_token: str, grant: dict) -> dict:
        now = int(time.time())
        user = grant["user"]
        claims = {
            "iss": self.url,
            "sub": user["sub"],
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["args"].get("nonce"),
            "email": user.get("email"),
            "email_verified": user.get("email_verified"),
            "name": user.get("name"),
        }
        if "amr" in user:  # how the person signed in upstream (RFC 8176), when a test sets it
            claims["amr"] = user["amr"]
        key = _KEY
        if self.misbehave == "bad_signature":
            key = _OTHER_KEY
        elif self.misbehave == "wrong_aud":
            claims["aud"] = "someone-else"
        elif self.misbehave == "wrong_iss":
            claims["iss"] = "https://evil.example"
        elif self.misbehave == "google_iss":
            claims["iss"] = "accounts.google.com"  # as Google documents it may send
        elif self.misbehave == "wrong_nonce":
            claims["nonce"] = "not-the-nonce"
        elif self.misbehave == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 600
        elif self.misbehave == "no_id_token":
            return super().token_response(access_token, grant)
        id_token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
        return {**super().token_response(access_token, grant), "id_token": id_token, "expires_in": 300}


class FakeGitHub(_FakeUpstream):
    authorize_path = "/login/oauth/authorize"
    token_path = "/login/oauth/access_token"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.user = {"id": 4242, "login": "ada", "name": "Ada"}
        self.emails = [
            {"email": "ada@users.noreply.github.com", "primary": False, "verified": True},
            {"email": "ada@example.com", "primary": True, "verified": True},
        ]
        self.app.add_url_rule("/user", "user", self.user_api)
        self.app.add_url_rule("/user/emails", "emails", self.emails_api)

    def _client_authenticated(self) -> str | None:
        # GitHub takes the client credentials as form parameters.
        method = super()._client_authenticated()
        return method if method == "client_secret_post" else None

    def user_api(self):
        user = self.bearer_user()
        return (jsonify(user), 200) if user else (jsonify(message="Bad credentials"), 401)

    def emails_api(self):
        if self.bearer_user() is None:
            return jsonify(message="Bad credentials"), 401
        return jsonify(self.emails)


class FakeFacebook(_FakeUpstream):
    """Facebook Login's dialog and token endpoints and the Graph API's /me."""

    authorize_path = "/dialog/oauth"
    token_path = "/oauth/access_token"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.user = {"id": "10001", "name": "Ada", "email": "ada@example.com"}
        self.me_requests: list[dict] = []
        self.app.add_url_rule("/me", "me", self.me)

    def me(self):
        self.me_requests.append(request.args.to_dict())
        user = self.bearer_user()
        if user is None:
            return jsonify(error={"message": "Invalid OAuth access token.", "type": "OAuthException"}), 400
        fields = request.args.get("fields", "id,name").split(",")
        return jsonify({key: value for key, value in user.items() if key in fields})
