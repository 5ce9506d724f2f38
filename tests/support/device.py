"""The device flow (RFC 8628) from the device's side, plain ``requests``, plus the person's code entry."""

from __future__ import annotations

from urllib.parse import urljoin

import requests
from sqlalchemy import update

from authserver.extensions import db_session
from authserver.tokens.models import DeviceAuthorization
from shared.security import digest
from tests.support.accounts import csrf_token
from tests.support.oauth import Browser
from tests.support.oauth import LiveAuth
from tests.support.oauth import RegisteredClient
from tests.support.oauth import token_request

DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"


def device_client(live: LiveAuth, *, refresh: bool = True, public: bool = True, **kwargs) -> RegisteredClient:
    """A client registered for the device code grant (and refresh_token unless ``refresh=False``)."""
    return live.client(
        redirect_uri=None,
        grant_types=[DEVICE_CODE, "refresh_token"] if refresh else [DEVICE_CODE],
        auth_method="none" if public else "client_secret_basic",
        **kwargs,
    )


def device_authorization(live: LiveAuth, client: RegisteredClient, **data) -> requests.Response:
    """POST to the device authorization endpoint named in the metadata, as the client authenticates."""
    endpoint = live.metadata()["device_authorization_endpoint"]
    if client.client_secret:
        return requests.post(endpoint, data=data, auth=(client.client_id, client.client_secret), timeout=10)
    return requests.post(endpoint, data={**data, "client_id": client.client_id}, timeout=10)


def start(live: LiveAuth, client: RegisteredClient, scope: str = "openid") -> dict:
    response = device_authorization(live, client, scope=scope)
    assert response.status_code == 200, response.text
    return response.json()


def poll(live: LiveAuth, client: RegisteredClient, device_code: str) -> requests.Response:
    return token_request(live, client, {"grant_type": DEVICE_CODE, "device_code": device_code})


def change_request(live: LiveAuth, device_code: str, **values) -> None:
    """Move a request along in time (``expires_at``, ``last_polled_at``) without waiting for it."""

    def change():
        db_session().execute(
            update(DeviceAuthorization)
            .where(DeviceAuthorization.device_code_digest == digest(device_code))
            .values(**values)
        )
        db_session().commit()

    live.run(change)


def enter_code(browser: Browser, user_code: str) -> requests.Response:
    """Open the verification page and send ``user_code``; returns the answer, redirects not followed."""
    url = browser.live.url + "/device"
    page = browser.http.get(url, timeout=10)
    return browser.http.post(
        url, data={"user_code": user_code, "csrf_token": csrf_token(page.text)}, allow_redirects=False, timeout=10
    )


def approve(browser: Browser, user_code: str, decision: str = "allow") -> requests.Response:
    """A signed-in person enters the code and answers the consent page; returns the final page."""
    entered = enter_code(browser, user_code)
    assert entered.status_code == 303, entered.text
    consent = browser.http.get(urljoin(entered.url, entered.headers["Location"]), timeout=10)
    assert 'name="decision"' in consent.text, consent.text
    return browser.decide(consent, decision)
