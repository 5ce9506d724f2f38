"""The device authorization grant (RFC 8628) over HTTP, on SQLite and PostgreSQL.

The device is plain ``requests`` reading our metadata; the person is ``Browser`` (a cookie jar
submitting the real forms). The same flow in Chromium is in tests/browser/test_device_flow_browser.py.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from authserver.accounts.services import disable_user
from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.tokens import device_codes
from authserver.tokens.models import DeviceAuthorization
from shared.security import digest
from tests.support.accounts import csrf_token
from tests.support.device import DEVICE_CODE
from tests.support.device import approve
from tests.support.device import change_request
from tests.support.device import device_authorization
from tests.support.device import device_client
from tests.support.device import enter_code
from tests.support.device import poll
from tests.support.device import start
from tests.support.oauth import at_hash
from tests.support.oauth import introspect
from tests.support.oauth import refresh
from tests.support.oauth import serve_auth
from tests.support.oauth import token_request
from tests.support.oauth import verified_id_token

USER_CODE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")


@pytest.fixture
def resource(live_auth):
    return live_auth.client(redirect_uri=None, resource_server=True)


@pytest.fixture
def person(live_auth):
    browser = live_auth.browser()
    user = live_auth.user()
    browser.sign_in(user)
    browser.user = user
    return browser


def error_of(response) -> str:
    assert response.status_code == 400, response.text
    return response.json()["error"]


def test_metadata_advertises_the_device_endpoint_and_grant(live_auth):
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        metadata = requests.get(live_auth.url + path, timeout=10).json()
        assert metadata["device_authorization_endpoint"] == live_auth.url + "/oauth/device_authorization"
        assert DEVICE_CODE in metadata["grant_types_supported"]


def test_device_authorization_response_and_digest_only_storage(live_auth):
    client = device_client(live_auth, scope="openid email")
    response = device_authorization(live_auth, client, scope="email")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    answer = response.json()
    assert USER_CODE.match(answer["user_code"])
    assert answer["verification_uri"] == live_auth.url + "/device"
    assert answer["verification_uri_complete"] == live_auth.url + "/device?user_code=" + answer["user_code"]
    assert answer["expires_in"] == 600 and answer["interval"] == 5
    assert len(answer["device_code"]) >= 43

    row = live_auth.run(lambda: dict(db_session().execute(select(DeviceAuthorization.__table__)).mappings().one()))
    assert row["device_code_digest"] == digest(answer["device_code"])
    assert row["user_code_digest"] == digest(answer["user_code"])
    assert row["scope"] == "email" and row["status"] == "pending"
    assert answer["device_code"] not in str(row.values()) and answer["user_code"] not in str(row.values())


def test_confidential_client_and_refusals_at_the_device_endpoint(live_auth):
    confidential = device_client(live_auth, public=False, scope="openid")
    assert device_authorization(live_auth, confidential).status_code == 200
    wrong_secret = confidential.__class__(confidential.client_id, "wrong", None, confidential.pk)
    assert device_authorization(live_auth, wrong_secret).json()["error"] == "invalid_client"

    public = device_client(live_auth, scope="openid")
    assert error_of(device_authorization(live_auth, public, scope="openid email")) == "invalid_scope"
    web_app = live_auth.client()
    assert error_of(device_authorization(live_auth, web_app)) == "unauthorized_client"
    web_public = live_auth.client(auth_method="none")
    assert error_of(device_authorization(live_auth, web_public)) == "unauthorized_client"


def test_polling_answers_pending_then_slow_down_with_a_growing_interval(live_auth):
    client = device_client(live_auth)
    codes = start(live_auth, client)
    device_code = codes["device_code"]
    assert error_of(poll(live_auth, client, device_code)) == "authorization_pending"
    assert error_of(poll(live_auth, client, device_code)) == "slow_down"  # at once: under 5 s

    def interval():
        return live_auth.run(
            lambda: db_session().scalar(
                select(DeviceAuthorization.interval).where(
                    DeviceAuthorization.device_code_digest == digest(device_code)
                )
            )
        )

    assert interval() == 10
    # 7 s after the last poll: enough for the old interval, too soon for the new one.
    change_request(live_auth, device_code, last_polled_at=utcnow() - timedelta(seconds=7))
    assert error_of(poll(live_auth, client, device_code)) == "slow_down"
    assert interval() == 15
    change_request(live_auth, device_code, last_polled_at=utcnow() - timedelta(seconds=16))
    assert error_of(poll(live_auth, client, device_code)) == "authorization_pending"
    assert interval() == 15


def test_approved_request_gives_tokens_once_with_refresh(live_auth, person, resource):
    live_auth.scope("chat", "Chat with the models")
    client = device_client(live_auth, scope="openid email chat")
    codes = start(live_auth, client, scope="openid email")
    assert error_of(poll(live_auth, client, codes["device_code"])) == "authorization_pending"

    done = approve(person, codes["user_code"])
    assert done.status_code == 200 and "You can return to your device" in done.text

    tokens = poll(live_auth, client, codes["device_code"])
    assert tokens.status_code == 200, tokens.text
    tokens = tokens.json()
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "openid email"
    answer = introspect(live_auth, resource, tokens["access_token"]).json()
    assert answer["active"] is True and answer["sub"] == person.user.sub and answer["client_id"] == client.client_id
    # openid asked for: an id_token naming the person and how they signed in on the verification page.
    claims = verified_id_token(live_auth, tokens["id_token"], client).claims
    assert claims["sub"] == person.user.sub and claims["email"] == person.user.email
    assert claims["amr"] == answer["amr"] == ["pwd"] and claims["acr"] == "1" and "nonce" not in claims
    assert claims["auth_time"] == answer["auth_time"] and claims["at_hash"] == at_hash(tokens["access_token"])

    again = poll(live_auth, client, codes["device_code"])
    assert error_of(again) == "invalid_grant"
    assert again.json()["error_description"] == "the device code was already exchanged for tokens"
    assert introspect(live_auth, resource, tokens["access_token"]).json()["active"] is True

    rotated = refresh(live_auth, client, tokens["refresh_token"])
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != tokens["refresh_token"]
    again = verified_id_token(live_auth, rotated.json()["id_token"], client).claims
    assert (again["sub"], again["auth_time"], again["amr"]) == (claims["sub"], claims["auth_time"], ["pwd"])


def test_without_the_refresh_grant_there_is_no_refresh_token(live_auth, person):
    client = device_client(live_auth, refresh=False, public=False, scope="openid")
    codes = start(live_auth, client)
    approve(person, codes["user_code"])
    tokens = poll(live_auth, client, codes["device_code"]).json()
    assert "access_token" in tokens and "refresh_token" not in tokens


def test_denied_request_answers_access_denied(live_auth, person):
    client = device_client(live_auth, scope="openid")
    codes = start(live_auth, client)
    page = approve(person, codes["user_code"], decision="deny")
    assert page.status_code == 200 and "Access denied" in page.text
    for _ in range(2):
        assert error_of(poll(live_auth, client, codes["device_code"])) == "access_denied"
    assert "not valid" in enter_code(person, codes["user_code"]).text  # decided: the code is spent


def test_expired_request_answers_expired_token_and_its_code_is_refused(live_auth, person):
    client = device_client(live_auth, scope="openid")
    codes = start(live_auth, client)
    change_request(live_auth, codes["device_code"], expires_at=utcnow() - timedelta(seconds=1))
    assert error_of(poll(live_auth, client, codes["device_code"])) == "expired_token"
    page = enter_code(person, codes["user_code"])
    assert page.status_code == 400 and "not valid, or it has expired" in page.text


def test_device_code_of_another_client_or_unknown_is_invalid_grant(live_auth):
    first, second = device_client(live_auth, scope="openid"), device_client(live_auth, scope="openid")
    codes = start(live_auth, first)
    assert error_of(poll(live_auth, second, codes["device_code"])) == "invalid_grant"
    assert error_of(poll(live_auth, first, "not-a-device-code")) == "invalid_grant"
    assert error_of(token_request(live_auth, first, {"grant_type": DEVICE_CODE})) == "invalid_request"


def test_a_client_not_registered_for_the_grant_cannot_poll(live_auth):
    device = device_client(live_auth, scope="openid")
    codes = start(live_auth, device)
    other = live_auth.client(redirect_uri="http://127.0.0.1:8765/callback", auth_method="none")
    assert error_of(poll(live_auth, other, codes["device_code"])) == "unauthorized_client"


def test_code_first_then_sign_in_then_consent(live_auth):
    client = device_client(live_auth, name="Terminal agent", scope="openid email")
    codes = start(live_auth, client, scope="openid email")
    browser = live_auth.browser()
    user = live_auth.user()

    prefilled = browser.http.get(codes["verification_uri_complete"], timeout=10)
    assert prefilled.status_code == 200
    assert f'value="{codes["user_code"]}"' in prefilled.text  # filled in, not yet submitted
    assert prefilled.headers["Referrer-Policy"] == "no-referrer"

    entered = enter_code(browser, codes["user_code"].lower().replace("-", " "))
    assert entered.status_code == 303
    to_login = browser.http.get(live_auth.url + entered.headers["Location"], allow_redirects=False, timeout=10)
    assert to_login.status_code == 302 and to_login.headers["Location"].startswith("/login?next=")
    signed_in = browser.login(user, next_url=entered.headers["Location"])
    consent = browser.http.get(live_auth.url + signed_in.headers["Location"], timeout=10)
    assert "Terminal agent" in consent.text and 'value="allow"' in consent.text
    assert re.findall(r'data-scope="([^"]+)"', consent.text) == ["openid", "email"]
    done = browser.decide(consent, "allow")
    assert "You can return to your device" in done.text
    assert poll(live_auth, client, codes["device_code"]).status_code == 200


def test_consent_is_asked_every_time_even_when_remembered(live_auth, person):
    client = device_client(live_auth, scope="openid")
    for _ in range(2):
        codes = start(live_auth, client)
        approve(person, codes["user_code"])  # asserts the consent page is shown
        assert poll(live_auth, client, codes["device_code"]).status_code == 200


def test_a_decided_request_cannot_be_decided_again(live_auth, person):
    client = device_client(live_auth, scope="openid")
    codes = start(live_auth, client)
    entered = enter_code(person, codes["user_code"])
    consent = person.http.get(live_auth.url + entered.headers["Location"], timeout=10)
    assert "You can return" in person.decide(consent, "allow").text
    second = person.decide(consent, "deny")
    assert second.status_code == 400 and "expired or was already used" in second.text
    assert poll(live_auth, client, codes["device_code"]).status_code == 200


def test_wrong_codes_are_refused_and_rate_limited_per_address(live_auth, person):
    client = device_client(live_auth, scope="openid")
    codes = start(live_auth, client)
    for typed in ("", "BCDF-GHJ", "AEIO-UAEI"):
        page = enter_code(person, typed)
        assert page.status_code == 400 and 'class="error"' in page.text
    for _ in range(device_codes.MAX_FAILED_ENTRIES_PER_ADDRESS - 2):
        assert enter_code(person, device_codes.new_user_code()).status_code == 400
    refused = enter_code(person, codes["user_code"])  # even the right code, now
    assert refused.status_code == 429 and "Too many wrong codes" in refused.text


def test_wrong_codes_are_rate_limited_overall(live_auth, person, monkeypatch):
    """Spread over many addresses, guesses still meet a global limit (one address here, a lower limit)."""
    monkeypatch.setattr(device_codes, "MAX_FAILED_ENTRIES_OVERALL", 3)
    monkeypatch.setattr(device_codes, "MAX_FAILED_ENTRIES_PER_ADDRESS", 100)
    codes = start(live_auth, device_client(live_auth, scope="openid"))
    for _ in range(3):
        assert enter_code(person, device_codes.new_user_code()).status_code == 400
    assert enter_code(person, codes["user_code"]).status_code == 429


def test_revoking_the_app_before_the_device_polls_withdraws_the_approval(live_auth, person):
    client = device_client(live_auth, scope="openid")
    codes = start(live_auth, client)
    approve(person, codes["user_code"])
    page = person.http.get(live_auth.url + "/account/apps", timeout=10)
    person.http.post(
        live_auth.url + f"/account/apps/{client.client_id}/revoke",
        data={"csrf_token": csrf_token(page.text)},
        timeout=10,
    )
    assert error_of(poll(live_auth, client, codes["device_code"])) == "invalid_grant"


def test_clients_add_accepts_the_device_code_grant(cli):
    public = cli.ok(
        "clients",
        "add",
        "--name",
        "CLI tool",
        "--grant-type",
        DEVICE_CODE,
        "--grant-type",
        "refresh_token",
        "--auth-method",
        "none",
        "--json",
    ).json
    assert public["grant_types"] == [DEVICE_CODE, "refresh_token"] and "client_secret" not in public
    confidential = cli.ok("clients", "add", "--name", "TV app", "--grant-type", DEVICE_CODE, "--json").json
    assert confidential["grant_types"] == [DEVICE_CODE] and confidential["client_secret"]


def test_a_parameter_sent_twice_is_invalid_request(live_auth):
    client = device_client(live_auth, scope="openid")
    endpoint = live_auth.metadata()["device_authorization_endpoint"]
    twice = [("client_id", client.client_id), ("scope", "openid"), ("scope", "openid")]
    assert error_of(requests.post(endpoint, data=twice, timeout=10)) == "invalid_request"


MODELS = "https://models.example"
SEARCH = "https://search.example/api"


def test_resource_at_the_device_endpoint_is_the_tokens_audience(live_auth, person):
    """RFC 8707: the resources named at the device endpoint are the audience; a poll may narrow it."""
    models, _search = (
        live_auth.client(redirect_uri=None, resource_server=True, resource_url=url) for url in (MODELS, SEARCH)
    )
    client = device_client(live_auth, scope="openid")
    unknown = device_authorization(live_auth, client, resource="https://unknown.example")
    assert error_of(unknown) == "invalid_target"

    codes = device_authorization(live_auth, client, scope="openid", resource=[MODELS, SEARCH]).json()
    approve(person, codes["user_code"])
    widened = token_request(
        live_auth,
        client,
        {"grant_type": DEVICE_CODE, "device_code": codes["device_code"], "resource": "https://unknown.example"},
    )
    assert error_of(widened) == "invalid_target"
    narrowed = token_request(
        live_auth, client, {"grant_type": DEVICE_CODE, "device_code": codes["device_code"], "resource": MODELS}
    )
    assert narrowed.status_code == 200, narrowed.text
    assert introspect(live_auth, models, narrowed.json()["access_token"]).json()["aud"] == [MODELS]

    plain = start(live_auth, client)
    approve(person, plain["user_code"])
    tokens = poll(live_auth, client, plain["device_code"]).json()
    assert "aud" not in introspect(live_auth, models, tokens["access_token"]).json()


def test_no_resource_gets_the_default_audience(config):
    with serve_auth(config, default_resource=MODELS) as live:
        models = live.client(redirect_uri=None, resource_server=True, resource_url=MODELS)
        client = device_client(live, scope="openid")
        person = live.browser()
        person.sign_in(live.user())
        codes = start(live, client)
        approve(person, codes["user_code"])
        tokens = poll(live, client, codes["device_code"]).json()
        assert introspect(live, models, tokens["access_token"]).json()["aud"] == [MODELS]


def test_an_approval_by_an_account_disabled_since_gives_nothing(live_auth, person):
    client = device_client(live_auth, scope="openid")
    codes = start(live_auth, client)
    approve(person, codes["user_code"])
    live_auth.run(disable_user, person.user.email)
    refused = poll(live_auth, client, codes["device_code"])
    assert (
        error_of(refused) == "invalid_grant" and refused.json()["error_description"] == "the user's account is disabled"
    )
