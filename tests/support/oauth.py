"""Helpers for end-to-end protocol tests: a live authorization server, factories, and a browser.

``LiveAuth`` is what the ``live_auth`` fixture returns: the server's URL and its Flask app, plus
factories that register clients and users through the real services. ``Browser`` plays the person:
it signs in through the real login form and walks the
authorization endpoint until the redirect back to the client, answering the consent page.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urljoin
from urllib.parse import urlsplit

import requests
from flask import Flask
from joserfc import jwt
from joserfc.jwk import KeySet

from authserver.accounts.passwords import hash_password
from authserver.accounts.services import add_user
from authserver.clients.services import register_client
from authserver.extensions import db_session
from authserver.scopes.services import add_scope
from shared.config import Config
from tests.support.accounts import csrf_token

DEFAULT_PASSWORD = "correct horse battery staple"
CALLBACK = "http://127.0.0.1:8765/callback"
STATE = "st-123"


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    client_secret: str | None
    redirect_uri: str | None
    pk: int


@dataclass(frozen=True)
class AppUser:
    id: int
    email: str
    sub: str
    password: str


def auth_config(database_url: str, instance_path) -> Config:
    """An authorization server's test configuration on ``database_url``, with a secret key of its own."""
    return Config.from_env(
        environ={},
        instance_path=instance_path,
        database_url=database_url,
        secret_key="test-secret-key-" + uuid.uuid4().hex,
        testing=True,
    )


def resource_config(issuer: str, instance_path, **overrides) -> Config:
    """A resource server's test configuration against the authorization server at ``issuer``."""
    return Config.from_env(
        environ={},
        instance_path=instance_path,
        secret_key="unused",
        resource_issuer=issuer,
        resource_client_id="rs",
        resource_client_secret="secret",
        **overrides,
    )


@contextmanager
def serve_auth(config, **changes) -> Iterator[LiveAuth]:
    """A live authorization server on 127.0.0.1 whose issuer is its URL, with ``changes`` to ``config``."""
    from authserver import create_app
    from tests.support.live_server import LiveServer

    server = LiveServer()
    app = create_app(config.replace(issuer=server.url, **changes))
    server.start(app)
    try:
        yield LiveAuth(server.url, app)
    finally:
        server.stop()
        app.extensions["authserver.db"].dispose()


class LiveAuth:
    """A running authorization server whose issuer is its own URL."""

    def __init__(self, url: str, app: Flask):
        self.url = url
        self.app = app
        self.token_endpoint = url + "/oauth/token"
        self.authorize_endpoint = url + "/oauth/authorize"

    def __iter__(self):
        # So ``server_url, app = live_auth`` works.
        return iter((self.url, self.app))

    def metadata(self) -> dict:
        return requests.get(self.url + "/.well-known/openid-configuration", timeout=10).json()

    def client(self, *, redirect_uri: str | None = CALLBACK, scope: str | None = None, **kwargs) -> RegisteredClient:
        """Register a client through the service; a redirect URI makes it a code+refresh client."""
        with self.app.app_context():
            registration = register_client(
                name=kwargs.pop("name", "Test client"),
                redirect_uris=[redirect_uri] if redirect_uri else [],
                scope=scope,
                **kwargs,
            )
            return RegisteredClient(
                client_id=registration.client.client_id,
                client_secret=registration.client_secret,
                redirect_uri=redirect_uri,
                pk=registration.client.id,
            )

    def user(self, email: str | None = None, password: str = DEFAULT_PASSWORD, **kwargs) -> AppUser:
        """A user who can sign in with ``password``; the argon2 hash is computed once per password."""
        with self.app.app_context():
            user = add_user(email or f"user-{secrets.token_hex(4)}@example.com", None, **kwargs)
            user.password_hash = _password_hash(password)
            db_session().commit()
            return AppUser(id=user.id, email=user.email, sub=user.sub, password=password)

    def scope(self, name: str, description: str | None = None, restricted: bool = False) -> None:
        with self.app.app_context():
            add_scope(name, description or f"Use {name}", restricted)

    def run(self, function, *args, **kwargs):
        """Call ``function`` inside the app context (for services and direct database checks)."""
        with self.app.app_context():
            try:
                return function(*args, **kwargs)
            finally:
                db_session().rollback()

    def browser(self) -> Browser:
        return Browser(self)

    def code(
        self, client: RegisteredClient, user: AppUser | None = None, scope: str = "openid", **extra
    ) -> tuple[str, str]:
        """The (code, code_verifier) ``client`` gets once ``user`` (a new one by default) signs in and allows."""
        browser = self.browser()
        browser.sign_in(user or self.user())
        return browser.authorization_code(client, scope=scope, **extra)

    def user_tokens(
        self, client: RegisteredClient, user: AppUser | None = None, scope: str = "openid", **extra
    ) -> dict:
        """The token response ``client`` gets once ``user`` (a new one by default) signs in and allows."""
        code, verifier = self.code(client, user, scope, **extra)
        response = exchange_code(self, client, code, verifier)
        assert response.status_code == 200, response.text
        return response.json()


@functools.cache
def _password_hash(password: str) -> str:
    return hash_password(password)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorization_params(client: RegisteredClient, challenge: str | None = None, **extra) -> dict:
    """A valid authorization request (state ``STATE``, PKCE S256 with a throwaway challenge unless
    given); ``extra`` overrides or adds parameters."""
    return {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": "openid",
        "state": STATE,
        "code_challenge": challenge or pkce_pair()[1],
        "code_challenge_method": "S256",
        **extra,
    }


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


class Browser:
    """A person's user agent: cookies, the login form, the consent form, redirects followed by hand."""

    def __init__(self, live: LiveAuth):
        self.live = live
        self.http = requests.Session()

    def login(self, user: AppUser, next_url: str | None = None) -> requests.Response:
        """Sign in through the real login form (about 100 ms of argon2); returns its redirect."""
        login_url = self.live.url + "/login" + ("?" + urlencode({"next": next_url}) if next_url else "")
        page = self.http.get(login_url, timeout=10)
        response = self.http.post(
            login_url,
            data={"email": user.email, "password": user.password, "csrf_token": csrf_token(page.text)},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 303, response.text
        return response

    def sign_in(self, user: AppUser) -> None:
        """Sign in as a person does, through the login form (its redirect not followed)."""
        self.login(user)

    def authorize(self, params: dict, decision: str | None = "allow") -> requests.Response:
        """GET the authorization endpoint and follow the server's redirects.

        Stops at the first redirect leaving the server (the client's callback), at a page that is
        not the consent page, or, with ``decision=None``, at the consent page itself.
        """
        response = self.http.get(
            self.live.authorize_endpoint + "?" + urlencode(params, doseq=True), allow_redirects=False, timeout=10
        )
        for _ in range(10):
            if response.is_redirect:
                location = urljoin(response.url, response.headers["Location"])
                if not location.startswith(self.live.url):
                    return response
                response = self.http.get(location, allow_redirects=False, timeout=10)
            elif is_consent_page(response) and decision is not None:
                response = self.decide(response, decision)
            else:
                return response
        raise AssertionError("too many redirects")

    def decide(self, consent_page: requests.Response, decision: str) -> requests.Response:
        action = unescape(re.search(r'<form method="post" action="([^"]+)"', consent_page.text).group(1))
        return self.http.post(
            urljoin(consent_page.url, action),
            data={"csrf_token": csrf_token(consent_page.text), "decision": decision},
            allow_redirects=False,
            timeout=10,
        )

    def authorization_code(self, client: RegisteredClient, scope: str = "openid", **extra) -> tuple[str, str]:
        """Run the whole front channel with PKCE; returns (code, code_verifier)."""
        verifier, challenge = pkce_pair()
        response = self.authorize(authorization_params(client, challenge, scope=scope, **extra))
        assert response.is_redirect, response.text[:500]
        callback = query_of(response.headers["Location"])
        assert "code" in callback, callback
        return callback["code"], verifier


def is_consent_page(response: requests.Response) -> bool:
    return response.status_code == 200 and 'name="decision"' in response.text


def exchange_code(live: LiveAuth, client: RegisteredClient, code: str, verifier: str | None) -> requests.Response:
    """The token request a confidential (Basic) or public (client_id only) client makes."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri}
    if verifier:
        data["code_verifier"] = verifier
    return token_request(live, client, data)


def refresh(live: LiveAuth, client: RegisteredClient, refresh_token: str) -> requests.Response:
    return token_request(live, client, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def token_request(live: LiveAuth, client: RegisteredClient, data: dict) -> requests.Response:
    """POST to the token endpoint as the client would: Basic when it has a secret, else client_id."""
    if client.client_secret:
        return requests.post(live.token_endpoint, data=data, auth=(client.client_id, client.client_secret), timeout=10)
    return requests.post(live.token_endpoint, data={**data, "client_id": client.client_id}, timeout=10)


def verified_id_token(live: LiveAuth, id_token: str, client: RegisteredClient) -> jwt.Token:
    """An id_token checked as a relying party checks it (OIDC Core §3.1.3.7), with joserfc rather than
    the server's own helpers: signature by a key of the JWKS the metadata names, ``iss``, ``aud``,
    ``sub``, ``exp``, ``iat``."""
    jwks = KeySet.import_key_set(requests.get(live.metadata()["jwks_uri"], timeout=10).json())
    token = jwt.decode(id_token, jwks, algorithms=["RS256", "ES256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": live.url},
        aud={"essential": True, "value": client.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    ).validate(token.claims)
    return token


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6 for RS256 and ES256: the left half of the SHA-256 of the token, base64url."""
    half = hashlib.sha256(access_token.encode("ascii")).digest()[:16]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode("ascii")


def introspect(live: LiveAuth, resource_server: RegisteredClient, token: str) -> requests.Response:
    return requests.post(
        live.url + "/oauth/introspect",
        data={"token": token},
        auth=(resource_server.client_id, resource_server.client_secret),
        timeout=10,
    )
