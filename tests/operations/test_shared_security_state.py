"""Security state holds across processes: two live authorization servers on one database (or one
Redis) play two workers, and a decision one makes binds the other."""

from __future__ import annotations

import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey

from authserver.accounts.throttle import MAX_FAILURES_PER_ACCOUNT
from authserver.state.services import DatabaseStore
from tests.support.accounts import csrf_token
from tests.support.accounts import sign_in
from tests.support.oauth import DEFAULT_PASSWORD

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture(params=["database", "redis"])
def workers(request, database_url, start_auth):
    """Two workers of one deployment: the same database, issuer and key (and Redis, for "redis")."""
    extra = {"redis_url": request.getfixturevalue("redis_url")} if request.param == "redis" else {}
    first = start_auth(database_url, **extra)
    return first, start_auth(database_url, issuer=first.url, **extra)


def _login(base_url: str, email: str, password: str) -> requests.Response:
    browser = requests.Session()
    page = browser.get(base_url + "/login", timeout=10)
    return browser.post(
        base_url + "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
        allow_redirects=False,
        timeout=10,
    )


def test_failed_sign_ins_counted_by_one_worker_throttle_the_other(workers):
    first, second = workers
    user = first.user()
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        assert _login(first.url, user.email, "wrong password").status_code == 401
    refused = _login(second.url, user.email, user.password)
    assert refused.status_code == 429


def test_a_client_assertion_used_at_one_worker_is_refused_by_the_other(workers):
    first, second = workers
    key = ECKey.generate_key("P-256", private=True)
    client = first.client(redirect_uri=None, auth_method="private_key_jwt", jwks={"keys": [key.as_dict(private=False)]})
    now = int(time.time())
    assertion = jwt.encode(
        {"alg": "ES256"},
        {
            "iss": client.client_id,
            "sub": client.client_id,
            "aud": first.url,
            "exp": now + 60,
            "iat": now,
            "jti": f"once-{now}",
        },
        key,
    )
    body = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
    assert requests.post(first.token_endpoint, data=body, timeout=10).status_code == 200
    replay = requests.post(second.token_endpoint, data=body, timeout=10)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_client"


def test_a_session_ended_at_one_worker_signs_nobody_in_at_the_other(workers):
    first, second = workers
    user = first.user()
    browser = requests.Session()
    sign_in(browser, first.url, user.email, DEFAULT_PASSWORD)
    copy = dict(browser.cookies)
    assert (
        requests.get(second.url + "/account/apps", cookies=copy, allow_redirects=False, timeout=10).status_code == 200
    )

    confirm = browser.get(first.url + "/logout", timeout=10)
    assert (
        browser.post(first.url + "/logout", data={"csrf_token": csrf_token(confirm.text)}, timeout=10).status_code
        == 200
    )
    after = requests.get(second.url + "/account/apps", cookies=copy, allow_redirects=False, timeout=10)
    assert after.status_code in (302, 303) and "/login" in after.headers["Location"]


def test_the_database_store_counts_expires_and_forgets(auth_app):
    with auth_app.app_context():
        store = DatabaseStore(auth_app.extensions["authserver.db"], "test:")
        assert store.get("n") is None
        assert [store.incr("n", 2, 60), store.incr("n", 3, 60)] == [2, 5]
        assert store.get("n") == "5"
        # A count past its expiry starts again.
        store.incr("short", 7, 0.01)
        time.sleep(0.02)
        assert store.get("short") is None and store.incr("short", 1, 60) == 1
        store.set("marker", "1", 60)
        store.delete("n")
        assert store.get("n") is None and store.get("marker") == "1"
        # Keys longer than the column are kept under their digest, still distinct.
        long_a, long_b = "a" * 300, "a" * 299 + "b"
        assert store.incr(long_a, 1, 60) == 1 and store.incr(long_b, 1, 60) == 1 and store.get(long_a) == "1"
