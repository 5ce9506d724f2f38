"""Token exchange (RFC 8693) over real HTTP, driven by Authlib's OAuth 2 client: a person's token is
exchanged by an agent and by a resource server, introspection and the resource server's ``/v1/me``
show the actor, and every way of taking the person's token back reaches the exchanged token too.

One authorization server and one resource server serve the whole module (on SQLite, then PostgreSQL);
each test registers the clients and people it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from authserver.paths import ACCOUNT_APPS_PATH
from resource import create_app as create_resource_app
from shared.config import Config
from tests.support.accounts import csrf_token
from tests.support.device import approve
from tests.support.device import device_client
from tests.support.device import poll
from tests.support.device import start
from tests.support.live_server import LiveServer
from tests.support.oauth import AppUser
from tests.support.oauth import LiveAuth
from tests.support.oauth import RegisteredClient
from tests.support.oauth import auth_config
from tests.support.oauth import introspect
from tests.support.oauth import serve_auth

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
REFRESH_TOKEN = "urn:ietf:params:oauth:token-type:refresh_token"
API_SCOPES = "models:read chat:create embeddings:create"


@dataclass
class World:
    auth: LiveAuth
    resource: LiveServer
    # The resource server: introspects, and may exchange tokens issued for it.
    api: RegisteredClient

    def person_tokens(
        self, scope: str = "openid models:read chat:create", **extra
    ) -> tuple[AppUser, RegisteredClient, dict]:
        """A new person signs in to a new web app and allows ``scope``: (person, app, token response)."""
        app = self.auth.client(name="Web app", scope="openid " + API_SCOPES)
        user = self.auth.user()
        return user, app, self.auth.user_tokens(app, user, scope=scope, **extra)

    def agent(self, scope: str = "models:read chat:create", **kwargs) -> RegisteredClient:
        kwargs.setdefault("grant_types", [TOKEN_EXCHANGE])
        kwargs.setdefault("name", "Agent")
        return self.auth.client(redirect_uri=None, scope=scope, **kwargs)

    def exchange(self, client: RegisteredClient, subject_token: str, **params) -> dict:
        """Authlib's client at the token endpoint, authenticating with the client's secret (Basic)."""
        params.setdefault("subject_token_type", ACCESS_TOKEN)
        with OAuth2Session(client.client_id, client.client_secret) as session:
            return session.fetch_token(
                self.auth.token_endpoint, grant_type=TOKEN_EXCHANGE, subject_token=subject_token, **params
            )

    def refused(self, client: RegisteredClient, subject_token: str, **params) -> OAuthError:
        with pytest.raises(OAuthError) as refused:
            self.exchange(client, subject_token, **params)
        return refused.value

    def introspect(self, token: str) -> dict:
        return introspect(self.auth, self.api, token).json()

    def me(self, token: str) -> requests.Response:
        return requests.get(self.resource.url + "/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)


@pytest.fixture(scope="module")
def world(module_database_url, tmp_path_factory):
    config = auth_config(module_database_url, tmp_path_factory.mktemp("instance"))
    with serve_auth(config) as auth:
        for name in API_SCOPES.split():
            auth.scope(name)
        resource = LiveServer()
        api = auth.client(
            redirect_uri=None,
            name="API",
            resource_server=True,
            resource_url=resource.url,
            grant_types=["client_credentials", TOKEN_EXCHANGE],
            scope=API_SCOPES,
        )
        resource_config = Config.from_env(
            environ={},
            instance_path=tmp_path_factory.mktemp("resource-instance"),
            secret_key="unused",
            resource_issuer=auth.url,
            resource_client_id=api.client_id,
            resource_client_secret=api.client_secret,
            resource_url=resource.url,
            resource_cache_ttl=0,
            testing=True,
        )
        resource.start(create_resource_app(resource_config))
        try:
            yield World(auth, resource, api)
        finally:
            resource.stop()
            resource.app.extensions["resource"].close()


def test_an_agent_exchanges_a_persons_token_and_acts_for_them(world):
    user, app, person = world.person_tokens()
    agent = world.agent()
    token = world.exchange(agent, person["access_token"], resource=world.resource.url)
    assert token["issued_token_type"] == ACCESS_TOKEN
    assert token["token_type"] == "Bearer"
    assert "refresh_token" not in token
    assert token["scope"] == "models:read chat:create"  # what the person allowed that the agent may hold
    assert 0 < token["expires_in"] <= 3600

    answer = world.introspect(token["access_token"])
    assert answer["active"] is True
    assert (answer["sub"], answer["client_id"]) == (user.sub, agent.client_id)
    assert answer["act"] == {"sub": agent.client_id}
    assert answer["aud"] == [world.resource.url]
    # The person's own token is untouched, and names no actor.
    assert "act" not in world.introspect(person["access_token"])

    me = world.me(token["access_token"])
    assert me.status_code == 200
    assert me.json()["sub"] == user.sub
    assert me.json()["client_id"] == agent.client_id
    assert me.json()["act"] == {"sub": agent.client_id}
    assert "act" not in world.me(person["access_token"]).json()


def test_a_narrower_scope_is_granted_and_a_wider_one_refused(world):
    _user, _app, person = world.person_tokens(scope="openid models:read")
    agent = world.agent(scope="models:read chat:create embeddings:create")
    assert world.exchange(agent, person["access_token"], scope="models:read")["scope"] == "models:read"
    # chat:create: the agent may hold it, but the person never allowed it.
    refused = world.refused(agent, person["access_token"], scope="models:read chat:create")
    assert refused.error == "invalid_scope"
    # openid: the person allowed it, but the agent may not hold it.
    assert world.refused(agent, person["access_token"], scope="openid").error == "invalid_scope"


def test_a_token_for_a_resource_server_is_exchanged_only_by_it_and_chains_nest_the_actors(world):
    user, _app, person = world.person_tokens(resource=world.resource.url)
    agent = world.agent()
    refused = world.refused(agent, person["access_token"])
    assert refused.error == "invalid_grant"
    assert "issued for other resource servers" in refused.description

    # The resource server it was issued for may, naming itself as the audience by its client_id.
    first = world.exchange(world.api, person["access_token"], audience=world.api.client_id)
    assert world.introspect(first["access_token"])["act"] == {"sub": world.api.client_id}
    # Its token is for the same resource server: that server may exchange it again (a chain).
    second = world.exchange(world.api, first["access_token"], resource=world.resource.url)
    answer = world.introspect(second["access_token"])
    assert answer["sub"] == user.sub
    assert answer["act"] == {"sub": world.api.client_id, "act": {"sub": world.api.client_id}}
    assert world.me(second["access_token"]).json()["act"] == answer["act"]


def test_a_chain_through_an_agent_names_every_actor_in_order(world):
    user, _app, person = world.person_tokens()
    agent = world.agent()
    # No resource named and no default configured: the token has no audience, any exchanger may take it.
    first = world.exchange(agent, person["access_token"])
    assert "aud" not in world.introspect(first["access_token"])
    helper = world.agent(name="Helper")
    second = world.exchange(helper, first["access_token"], scope="models:read")
    answer = world.introspect(second["access_token"])
    assert (answer["sub"], answer["client_id"], answer["scope"]) == (user.sub, helper.client_id, "models:read")
    assert answer["act"] == {"sub": helper.client_id, "act": {"sub": agent.client_id}}


def test_a_client_without_the_grant_type_is_refused(world):
    _user, app, person = world.person_tokens()
    service = world.agent(grant_types=["client_credentials"])
    for client in (app, service):
        assert world.refused(client, person["access_token"]).error == "unauthorized_client"


def test_revoked_refresh_and_foreign_subject_tokens_are_invalid_grants(world):
    _user, app, person = world.person_tokens()
    agent = world.agent()
    refresh = world.refused(agent, person["refresh_token"])
    assert (refresh.error, refresh.description) == (
        "invalid_grant",
        "the subject_token is a refresh token; only access tokens are exchanged",
    )
    unknown = world.refused(agent, "not-a-token-of-ours")
    assert (unknown.error, unknown.description) == (
        "invalid_grant",
        "the subject_token is not an access token this server issued",
    )
    with OAuth2Session(world.api.client_id, world.api.client_secret) as session:
        service_token = session.fetch_token(world.auth.token_endpoint, grant_type="client_credentials")
    assert world.refused(agent, service_token["access_token"]).description.startswith(
        "the subject_token was issued to a client"
    )

    with OAuth2Session(app.client_id, app.client_secret) as session:
        session.revoke_token(world.auth.metadata()["revocation_endpoint"], person["access_token"])
    revoked = world.refused(agent, person["access_token"])
    assert (revoked.error, revoked.description) == ("invalid_grant", "the subject_token was revoked")


def test_wrong_token_types_and_unknown_targets_are_refused_in_rfc_8693_terms(world):
    _user, _app, person = world.person_tokens()
    agent = world.agent()
    subject = person["access_token"]
    assert world.refused(agent, subject, subject_token_type=REFRESH_TOKEN).error == "invalid_request"
    wrong_output = world.refused(agent, subject, requested_token_type=REFRESH_TOKEN)
    assert wrong_output.error == "invalid_request"
    assert "only access tokens are issued" in wrong_output.description
    assert world.refused(agent, subject, audience="https://unknown.example").error == "invalid_target"
    assert world.refused(agent, subject, audience=agent.client_id).error == "invalid_target"
    assert world.refused(agent, subject, resource="https://unknown.example/api").error == "invalid_target"
    assert world.refused(agent, subject, actor_token="x").error == "invalid_request"
    assert world.refused(agent, subject, actor_token="x", actor_token_type=ACCESS_TOKEN).error == "invalid_grant"


def test_the_agent_may_name_itself_with_an_actor_token_and_ask_for_an_access_token(world):
    user, _app, person = world.person_tokens()
    agent = world.agent(grant_types=["client_credentials", TOKEN_EXCHANGE])
    other = world.agent(grant_types=["client_credentials", TOKEN_EXCHANGE])
    with OAuth2Session(agent.client_id, agent.client_secret, scope="models:read") as session:
        own = session.fetch_token(world.auth.token_endpoint, grant_type="client_credentials")["access_token"]
    token = world.exchange(
        agent, person["access_token"], actor_token=own, actor_token_type=ACCESS_TOKEN, requested_token_type=ACCESS_TOKEN
    )
    assert world.introspect(token["access_token"])["act"] == {"sub": agent.client_id}
    # Another client's token does not stand for this one.
    refused = world.refused(other, person["access_token"], actor_token=own, actor_token_type=ACCESS_TOKEN)
    assert refused.error == "invalid_grant" and "actor_token" in refused.description


def _revoke_connected_app(world: World, user: AppUser, app: RegisteredClient) -> None:
    """The person takes the app's access back on the connected-apps page."""
    browser = world.auth.browser()
    browser.sign_in(user)
    page = browser.http.get(world.auth.url + ACCOUNT_APPS_PATH, timeout=10)
    assert app.client_id in page.text
    response = browser.http.post(
        f"{world.auth.url}{ACCOUNT_APPS_PATH}/{app.client_id}/revoke",
        data={"csrf_token": csrf_token(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303


def test_revoking_the_persons_consent_ends_exchanged_tokens_and_chains(world):
    user, app, person = world.person_tokens()
    agent = world.agent()
    first = world.exchange(agent, person["access_token"])["access_token"]
    second = world.exchange(world.agent(name="Helper"), first)["access_token"]
    assert world.me(second).status_code == 200
    _revoke_connected_app(world, user, app)
    for token in (person["access_token"], first, second):
        assert world.introspect(token) == {"active": False}
    assert world.me(second).status_code == 401
    refused = world.refused(agent, person["access_token"])
    assert (refused.error, refused.description) == ("invalid_grant", "the subject_token was revoked")


def test_revoking_the_subject_tokens_family_ends_exchanged_tokens(world):
    _user, app, person = world.person_tokens()
    exchanged = world.exchange(world.agent(), person["access_token"])["access_token"]
    with OAuth2Session(app.client_id, app.client_secret) as session:
        revocation = world.auth.metadata()["revocation_endpoint"]
        assert session.revoke_token(revocation, person["refresh_token"], token_type_hint="refresh_token").ok
    assert world.introspect(exchanged) == {"active": False}


def test_a_replayed_refresh_token_ends_tokens_exchanged_after_the_rotation(world):
    _user, app, person = world.person_tokens()
    with OAuth2Session(app.client_id, app.client_secret) as session:
        rotated = session.refresh_token(world.auth.token_endpoint, refresh_token=person["refresh_token"])
        exchanged = world.exchange(world.agent(), rotated["access_token"])["access_token"]
        assert world.introspect(exchanged)["active"] is True
        with pytest.raises(OAuthError):
            session.refresh_token(world.auth.token_endpoint, refresh_token=person["refresh_token"])
    assert world.introspect(exchanged) == {"active": False}


def test_a_device_token_without_a_family_starts_one_that_its_revocation_reaches(world):
    app = device_client(world.auth, refresh=False, public=False, scope="openid models:read")
    user = world.auth.user()
    pending = start(world.auth, app, scope="openid models:read")
    browser = world.auth.browser()
    browser.sign_in(user)
    approve(browser, pending["user_code"])
    person = poll(world.auth, app, pending["device_code"]).json()
    assert "refresh_token" not in person  # no refresh token: the token was issued without a family
    exchanged = world.exchange(world.agent(), person["access_token"])["access_token"]
    again = world.exchange(world.agent(), person["access_token"])["access_token"]
    assert world.introspect(again)["act"]
    _revoke_connected_app(world, user, app)
    assert world.introspect(exchanged) == world.introspect(again) == {"active": False}


def test_disabling_the_person_or_the_original_app_ends_exchanged_tokens(world):
    from authserver.accounts.services import disable_user
    from authserver.clients.services import disable_client

    user, _app, person = world.person_tokens()
    exchanged = world.exchange(world.agent(), person["access_token"])["access_token"]
    world.auth.run(disable_user, user.email)
    assert world.introspect(exchanged) == {"active": False}
    assert world.refused(world.agent(), person["access_token"]).description == "the user's account is disabled"

    _user, app, person = world.person_tokens()
    exchanged = world.exchange(world.agent(), person["access_token"])["access_token"]
    world.auth.run(disable_client, app.client_id)
    assert world.introspect(exchanged) == {"active": False}


def test_an_exchanged_token_never_outlives_its_subject_token(world):
    from sqlalchemy import update

    from authserver.db import utcnow
    from authserver.extensions import db_session
    from authserver.tokens.models import Token
    from shared.security import digest

    _user, _app, person = world.person_tokens()

    def expire_in_a_minute():
        soon = utcnow().replace(microsecond=0) + timedelta(seconds=60)
        db_session().execute(
            update(Token)
            .where(Token.access_token_digest == digest(person["access_token"]))
            .values(access_expires_at=soon)
        )
        db_session().commit()

    world.auth.run(expire_in_a_minute)
    token = world.exchange(world.agent(), person["access_token"])
    assert 0 < token["expires_in"] <= 60
    assert world.introspect(token["access_token"])["exp"] <= world.introspect(person["access_token"])["exp"]
