"""A scope an admin removes stops counting within the lookup cache's lifetime, in tokens already issued too."""

from __future__ import annotations

import time

import pytest
import requests

from authserver.scopes.services import remove_scope
from tests.support.oauth import introspect

CACHE_TTL = 0.2


@pytest.fixture
def config(config):
    return config.replace(lookup_cache_ttl=CACHE_TTL)


def test_a_removed_scope_leaves_introspection_and_userinfo_of_tokens_already_issued(live_auth):
    client = live_auth.client()
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    user = live_auth.user()
    access_token = live_auth.user_tokens(client, user, scope="openid email")["access_token"]
    userinfo = live_auth.url + "/oauth/userinfo"
    bearer = {"Authorization": f"Bearer {access_token}"}
    assert introspect(live_auth, resource, access_token).json()["scope"] == "openid email"
    assert requests.get(userinfo, headers=bearer, timeout=5).json()["email"] == user.email

    with live_auth.app.app_context():
        remove_scope("email")
    time.sleep(CACHE_TTL + 0.1)

    info = introspect(live_auth, resource, access_token).json()
    assert info["active"] is True and info["scope"] == "openid"
    assert "email" not in info and "username" not in info
    claims = requests.get(userinfo, headers=bearer, timeout=5).json()
    assert claims == {"sub": user.sub}
