"""One upstream round trip: the redirect out (state, PKCE S256, nonce) and the code exchange back."""

from __future__ import annotations

import dataclasses
import json

import requests
from authlib.integrations.base_client import OAuthError
from flask import session
from joserfc.errors import JoseError

from authserver.extensions import get_config
from authserver.federation import services
from authserver.federation._core import STATE_PREFIX
from authserver.federation._core import UpstreamFailure
from authserver.federation._core import UpstreamUser
from authserver.federation._core import state_store
from authserver.federation.models import UpstreamProvider
from authserver.federation.providers import TYPES

# Round trips one browser may have in flight at once (tabs, back button, double clicks).
MAX_PENDING = 4
# Their share of the session cookie, as JSON: base64 makes it a third larger, and the cookie must
# stay under 4,093 bytes with the rest of the session.
PENDING_BYTES = 2400
# The sizes of the columns an upstream's answer is stored in (upstream_identities.subject and
# .email, users.name): a longer value would be a database error, not a sign-in.
SUBJECT_MAX, EMAIL_MAX, NAME_MAX = 255, 320, 200


def _client(provider: UpstreamProvider):
    kind = TYPES[provider.type]
    settings = services.settings_for(provider)
    timeout = get_config().federation_timeout
    # metadata() reads documents through fetch_json, which already turns network errors into UpstreamFailure.
    return kind, kind.client(settings, kind.metadata(settings, timeout), timeout)


def begin(provider: UpstreamProvider, **carry: object) -> str:
    """The upstream authorization URL; what the callback needs is kept in the session under its state."""
    _kind, client = _client(provider)
    redirect_uri = services.redirect_uri(provider.name)
    rv = client.create_authorization_url(redirect_uri)
    data = {"redirect_uri": redirect_uri, "code_verifier": rv["code_verifier"], **carry}
    if rv.get("nonce"):
        data["nonce"] = rv["nonce"]
    client.save_authorize_data(state=rv["state"], **data)
    _forget_oldest_round_trips()
    return rv["url"]


def _forget_oldest_round_trips() -> None:
    """Keep the session cookie under browsers' 4 KB limit however often the buttons are clicked.

    Counted in bytes as well: each round trip carries its ``next`` (up to 2,000 characters).
    The newest round trip is always kept.
    """
    pending = sorted((value.get("exp", 0), key) for key, value in session.items() if key.startswith(STATE_PREFIX))
    size = sum(len(json.dumps(session[key])) for _exp, key in pending)
    while len(pending) > 1 and (len(pending) > MAX_PENDING or size > PENDING_BYTES):
        _exp, key = pending.pop(0)
        size -= len(json.dumps(session.pop(key)))


def take_state(provider: UpstreamProvider, state: str | None) -> dict | None:
    """The data saved for this state by this browser with this provider, usable once."""
    if not state:
        return None
    store = state_store(provider.name)
    data = store.get_state_data(session, state)
    if data is not None:
        store.clear_state_data(session, state)
    return data


def finish(provider: UpstreamProvider, code: str, data: dict) -> UpstreamUser:
    """Exchange the code (with the PKCE verifier) and learn who signed in upstream."""
    try:
        kind, client = _client(provider)
        token = client.fetch_access_token(
            redirect_uri=data["redirect_uri"], code=code, code_verifier=data["code_verifier"]
        )
        return _storable(kind.fetch_user(client, token, data))
    except UpstreamFailure:
        raise
    except requests.RequestException as exc:
        raise UpstreamFailure("unavailable", type(exc).__name__) from exc
    except OAuthError as exc:
        raise UpstreamFailure("upstream_error", f"{exc.error}: {exc.description or ''}") from exc
    except JoseError as exc:
        raise UpstreamFailure("invalid_id_token", f"{type(exc).__name__}: {exc}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise UpstreamFailure("upstream_error", f"{type(exc).__name__}: {exc}") from exc


def _storable(user: UpstreamUser) -> UpstreamUser:
    """The upstream's answer as we can keep it; a subject we cannot store exactly is refused."""
    subject = user.subject
    if not isinstance(subject, str) or not 0 < len(subject) <= SUBJECT_MAX or "\x00" in subject:
        raise UpstreamFailure("upstream_error", "the subject is not a string of 1 to 255 characters")
    email = user.email if isinstance(user.email, str) and len(user.email) <= EMAIL_MAX else None
    if email and "\x00" in email:
        email = None
    name = user.name.replace("\x00", "")[:NAME_MAX] if isinstance(user.name, str) else None
    return dataclasses.replace(user, email=email, name=name or None)
