"""PostgreSQL stopped while both apps serve: 503 in each protocol's shape, then recovery unrestarted."""

from __future__ import annotations

import requests

from tests.support.oauth import introspect
from tests.support.oauth import token_request

TIMEOUT = 20  # far past every bound of authserver.db: a hang fails the test instead of passing slowly


def assert_oauth_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "temporarily_unavailable"
    assert int(response.headers["Retry-After"]) > 0


def test_a_stopped_database_is_503_everywhere_and_its_return_needs_no_restart(own_postgres, pg_stack):
    auth, partner = pg_stack.auth, pg_stack.partner
    cached = pg_stack.token()
    assert pg_stack.get("/v1/models", cached).status_code == 200
    unseen = pg_stack.token()

    own_postgres.halt()
    try:
        assert_oauth_unavailable(token_request(auth, partner, {"grant_type": "client_credentials"}))
        assert_oauth_unavailable(introspect(auth, pg_stack.resource_client, unseen))
        revocation = requests.post(
            auth.url + "/oauth/revoke",
            data={"token": unseen},
            timeout=TIMEOUT,
            auth=(partner.client_id, partner.client_secret),
        )
        assert_oauth_unavailable(revocation)

        refused = pg_stack.get("/v1/models", unseen)
        assert refused.status_code == 503
        assert int(refused.headers["Retry-After"]) > 0
        assert set(refused.json()["error"]) >= {"message", "type", "code"}
        # A token the resource server has an answer for keeps working through the outage.
        assert pg_stack.get("/v1/models", cached).status_code == 200
    finally:
        own_postgres.resume()

    fresh = token_request(auth, partner, {"grant_type": "client_credentials", "scope": "models:read"})
    assert fresh.status_code == 200, fresh.text
    assert introspect(auth, pg_stack.resource_client, unseen).json()["active"] is True
    assert pg_stack.get("/v1/models", fresh.json()["access_token"]).status_code == 200
    assert pg_stack.get("/v1/models", unseen).status_code == 200
