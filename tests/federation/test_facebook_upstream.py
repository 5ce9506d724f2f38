"""Sign-in through a Facebook-shaped upstream: OAuth 2 with PKCE and the Graph API's /me."""

import pytest
import requests

from tests.federation.conftest import PASSWORD
from tests.federation.conftest import upstream_round_trip
from tests.federation.conftest import users
from tests.support.accounts import add_user
from tests.support.fake_upstreams import FakeFacebook
from tests.support.fake_upstreams import s256


@pytest.fixture
def facebook(auth_server):
    fake = FakeFacebook().start()
    fake.redirect_uris.append(f"{auth_server.url}/login/facebook/callback")
    auth_server.add_upstream(
        name="facebook",
        type_="facebook",
        authorize_url=fake.url + "/dialog/oauth",
        token_url=fake.url + "/oauth/access_token",
        userinfo_url=fake.url + "/me",
    )
    yield fake
    fake.stop()


def test_round_trip_creates_an_account_whose_email_is_not_taken_as_verified(auth_server, facebook):
    trip = upstream_round_trip(requests.Session(), auth_server.url, "facebook", next_url="/account/apps")
    sent = facebook.authorize_requests[0]
    assert sent["scope"] == "email public_profile" and sent["code_challenge_method"] == "S256"
    assert s256(facebook.token_requests[0]["code_verifier"]) == sent["code_challenge"]
    assert facebook.me_requests[0]["fields"] == "id,name,email"
    assert trip.landed == "/account/apps"
    assert [(email, verified) for email, _sub, verified in users(auth_server.app)] == [("ada@example.com", False)]


def test_an_existing_account_with_that_email_is_not_linked(auth_server, facebook):
    add_user(auth_server.app, "ada@example.com", PASSWORD)
    trip = upstream_round_trip(requests.Session(), auth_server.url, "facebook")
    assert trip.callback.status_code == 409 and len(users(auth_server.app)) == 1
