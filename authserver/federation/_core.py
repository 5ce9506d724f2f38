"""What every upstream provider type shares: the Authlib client, its state, and HTTP limits.

A provider type knows its endpoints and how to turn a token into an ``UpstreamUser``; this module
builds Authlib's Flask client for it. State, the PKCE verifier and the OIDC nonce live in the
signed session cookie, keyed per provider and per state, so a callback can only complete the
round trip this browser started with that provider.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import requests
from authlib.integrations.flask_client import FlaskIntegration
from authlib.integrations.flask_client import FlaskOAuth2App

from authserver.errors import InvalidInput

# A round trip longer than this is abandoned: its state is no longer honoured.
STATE_TTL = 600
# Discovery documents and key sets change rarely; re-read them this often.
DISCOVERY_TTL = 300.0


class UpstreamFailure(Exception):
    """The upstream could not sign the person in; ``reason`` says why, for the page and the audit log."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class UpstreamUser:
    subject: str
    email: str | None
    email_verified: bool
    name: str | None = None
    # The registered RFC 8176 values an OIDC upstream's id_token reported in ``amr``.
    amr: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProviderSettings:
    """The stored provider, with its secret opened: what a provider type needs to talk upstream."""

    name: str
    type: str
    client_id: str
    client_secret: str
    issuer: str | None
    authorize_url: str | None
    token_url: str | None
    userinfo_url: str | None


class StateStore(FlaskIntegration):
    expires_in = STATE_TTL


# Authlib keys each round trip in the session as "_state_{store name}_{state}".
STATE_PREFIX = "_state_upstream_"


def state_store(provider_name: str) -> StateStore:
    """Per provider, so a state issued for one provider is unknown at another's callback."""
    return StateStore("upstream_" + provider_name)


class ProviderType:
    """One kind of upstream. Subclasses set the class attributes and implement ``fetch_user``."""

    type_name: ClassVar[str]
    display_name: ClassVar[str]
    scope: ClassVar[str]
    token_auth_method: ClassVar[str] = "client_secret_basic"
    default_authorize_url: ClassVar[str | None] = None
    default_token_url: ClassVar[str | None] = None
    default_userinfo_url: ClassVar[str | None] = None

    def check_settings(self, issuer: str | None, urls: dict[str, str | None]) -> None:
        """Refuse options this type does not take (so a typo is an error, not ignored)."""
        if issuer:
            raise InvalidInput(f"--issuer is not used by type {self.type_name!r}; use the endpoint URL options")

    def label(self, name: str) -> str:
        return self.display_name

    def metadata(self, settings: ProviderSettings, timeout: float) -> dict:
        return {
            "authorization_endpoint": settings.authorize_url or self.default_authorize_url,
            "token_endpoint": settings.token_url or self.default_token_url,
            "userinfo_endpoint": settings.userinfo_url or self.default_userinfo_url,
        }

    def client(self, settings: ProviderSettings, metadata: dict, timeout: float) -> FlaskOAuth2App:
        return FlaskOAuth2App(
            state_store(settings.name),
            name=settings.name,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            client_kwargs={
                "scope": self.scope,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": self.choose_auth_method(metadata),
                "default_timeout": timeout,
            },
            **metadata,
        )

    def choose_auth_method(self, metadata: dict) -> str:
        return self.token_auth_method

    def fetch_user(self, client: FlaskOAuth2App, token: dict, state_data: dict) -> UpstreamUser:
        raise NotImplementedError


class TTLCache:
    """A per-process cache of JSON documents fetched over HTTP (discovery, key sets)."""

    def __init__(self, ttl: float = DISCOVERY_TTL):
        self.ttl = ttl
        self._entries: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def get_json(self, url: str, timeout: float) -> dict:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(url)
        if entry and entry[0] > now:
            return entry[1]
        document = fetch_json(url, timeout)
        with self._lock:
            self._entries[url] = (now + self.ttl, document)
        return document

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def fetch_json(url: str, timeout: float) -> dict:
    document = _json_answer(url, lambda: requests.get(url, timeout=timeout, headers={"Accept": "application/json"}))
    if not isinstance(document, dict):
        raise UpstreamFailure("upstream_error", f"{url} did not answer a JSON object")
    return document


def api_get(client: FlaskOAuth2App, url: str, token: dict, **kwargs) -> object:
    """A call to the upstream's API with the person's access token."""
    return _json_answer(url, lambda: client.get(url, token=token, **kwargs))


def _json_answer(url: str, send: Callable[[], requests.Response]) -> object:
    try:
        response = send()
    except requests.RequestException as exc:
        raise UpstreamFailure("unavailable", f"{url}: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise UpstreamFailure("upstream_error", f"{url} answered {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise UpstreamFailure("upstream_error", f"{url} did not answer JSON") from None
