"""RFC 9700 (OAuth 2.0 Security Best Current Practice): one test per requirement on the server."""

from __future__ import annotations

import threading

import requests

from tests.support.oauth import authorization_params
from tests.support.oauth import exchange_code
from tests.support.oauth import is_consent_page
from tests.support.oauth import query_of


def test_rfc9700_2_1_redirect_uris_match_exactly(live_auth):
    client = live_auth.client(redirect_uri="https://app.example/cb")
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    for uri in (
        "https://app.example/cb/",
        "https://app.example/cb?x=1",
        "https://app.example/CB",
        "https://app.example.evil/cb",
        "http://app.example/cb",
        "https://app.example:444/cb",
    ):
        response = browser.authorize(authorization_params(client, redirect_uri=uri))
        assert response.status_code == 400 and "Location" not in response.headers, uri


def test_rfc9700_2_1_2_implicit_grant_is_not_offered(live_auth):
    client = live_auth.client()
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    for response_type in ("token", "id_token", "code token", "code id_token"):
        response = browser.authorize(authorization_params(client, response_type=response_type))
        location = response.headers["Location"]
        assert query_of(location)["error"] == "unsupported_response_type"
        assert "access_token" not in location and "#" not in location
    assert live_auth.metadata()["response_types_supported"] == ["code"]


def test_rfc9700_2_4_password_grant_is_not_offered(live_auth):
    client = live_auth.client()
    user = live_auth.user()
    response = requests.post(
        live_auth.token_endpoint,
        data={"grant_type": "password", "username": user.email, "password": user.password},
        auth=(client.client_id, client.client_secret),
        timeout=5,
    )
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"
    assert "password" not in live_auth.metadata()["grant_types_supported"]


def test_rfc9700_4_4_every_authorization_response_names_the_issuer(live_auth):
    client = live_auth.client()
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    denied = browser.authorize(authorization_params(client), decision="deny")
    allowed = browser.authorize(authorization_params(client), decision="allow")
    for response in (denied, allowed):
        assert query_of(response.headers["Location"])["iss"] == live_auth.url
    assert live_auth.metadata()["authorization_response_iss_parameter_supported"] is True


def test_rfc9700_4_11_never_an_open_redirector(live_auth):
    client = live_auth.client()
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    response = browser.http.get(
        live_auth.authorize_endpoint,
        params=authorization_params(client, redirect_uri="https://attacker.example/", scope="not-a-scope"),
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 400 and "Location" not in response.headers


def test_rfc9700_4_11_control_and_non_ascii_characters_end_on_the_error_page(live_auth):
    # Authlib quotes these values into error descriptions, where RFC 6749 §5.2 forbids such characters.
    client = live_auth.client()
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    for extra in (
        {"redirect_uri": client.redirect_uri + "\x00"},
        {"redirect_uri": client.redirect_uri + "\u00e9"},
        {"response_type": "code\x00"},
    ):
        response = browser.http.get(
            live_auth.authorize_endpoint, params=authorization_params(client, **extra), allow_redirects=False, timeout=5
        )
        assert response.status_code == 400 and "Location" not in response.headers, extra


def test_rfc9700_4_12_redirects_after_the_consent_post_are_303(live_auth):
    client = live_auth.client()
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    page = browser.authorize(authorization_params(client), decision=None)
    assert is_consent_page(page)
    assert browser.decide(page, "allow").status_code == 303
    page = browser.authorize(authorization_params(client, prompt="consent"), decision=None)
    assert browser.decide(page, "deny").status_code == 303


def test_rfc9700_4_16_the_consent_page_cannot_be_framed(live_auth):
    client = live_auth.client()
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    page = browser.authorize(authorization_params(client), decision=None)
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_rfc9700_4_7_consent_post_without_the_csrf_token_is_refused(live_auth):
    client = live_auth.client()
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    page = browser.authorize(authorization_params(client), decision=None)
    forged = browser.http.post(page.url, data={"decision": "allow"}, allow_redirects=False, timeout=5)
    assert forged.status_code == 400 and "Location" not in forged.headers


def test_rfc9700_4_2_concurrent_exchanges_of_one_code_have_one_winner(live_auth):
    client = live_auth.client()
    code, verifier = live_auth.code(client)
    barrier = threading.Barrier(3)
    results = []

    def exchange():
        barrier.wait()
        results.append(exchange_code(live_auth, client, code, verifier))

    threads = [threading.Thread(target=exchange) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.status_code for r in results) == [200, 400, 400]
    assert all(r.json()["error"] == "invalid_grant" for r in results if r.status_code == 400)
