"""The ``sign_in`` helper other suites reuse, exercised against a live server over real HTTP."""

import requests

from tests.support.accounts import sign_in


def test_sign_in_helper_lands_on_next_with_a_session(live_auth):
    user = live_auth.user()
    with requests.Session() as http:
        response = sign_in(http, live_auth.url, user.email, user.password, next_url="/account/apps?tab=1")
        assert response.url == live_auth.url + "/account/apps?tab=1"
        assert "Connected apps" in response.text
        assert http.get(live_auth.url + "/account/apps", allow_redirects=False, timeout=10).status_code == 200


def test_sign_in_helper_reports_a_refused_sign_in_without_check(live_auth):
    user = live_auth.user()
    with requests.Session() as http:
        response = sign_in(http, live_auth.url, user.email, "not the password", check=False)
        assert response.status_code == 401 and response.url.startswith(live_auth.url + "/login")
        assert http.get(live_auth.url + "/account/apps", allow_redirects=False, timeout=10).status_code == 302
