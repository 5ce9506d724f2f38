"""examples/web_app driven in Chromium, against a live authorization server and resource server:
sign in, chat, refresh, revocation, sign-out, as a person using a third-party app would."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from authserver.extensions import db_session
from authserver.tokens import services as tokens
from authserver.tokens.models import Token
from examples.web_app import create_app
from tests.resource.e2e import register
from tests.support.browser import sign_in_on_the_page
from tests.support.live_server import LiveServer
from tests.support.oauth import serve_auth
from tests.support.ports import free_port

pytestmark = pytest.mark.browser


@pytest.fixture
def example(config, start_resource):
    """``example(**auth_config)``: (authorization server, the example app's URL) with the app
    registered as its own developer would, and served on a free port."""
    started = []

    def start(api_url=None, **auth_changes):
        serving = serve_auth(config, **auth_changes)
        auth = serving.__enter__()
        started.append(serving)
        resource_client, _partner = register(auth)
        resource = start_resource(
            auth.url, resource_client.client_id, resource_client.client_secret, resource_cache_ttl=0
        )
        server = LiveServer()
        client = auth.client(
            name="Example app",
            redirect_uri=server.url + "/callback",
            post_logout_redirect_uris=[server.url + "/"],
            scope="openid email offline_access chat:create",
        )
        server.start(
            create_app(
                {
                    "ISSUER": auth.url,
                    "API_URL": api_url or resource.url + "/v1",
                    "CLIENT_ID": client.client_id,
                    "CLIENT_SECRET": client.client_secret,
                    "SECRET_KEY": "test",
                }
            )
        )
        started.append(server)
        return auth, server.url, client

    yield start
    for thing in reversed(started):
        thing.stop() if isinstance(thing, LiveServer) else thing.__exit__(None, None, None)


def _sign_in(page, app_url: str, user) -> None:
    page.goto(app_url)
    page.click("[data-action=sign-in]")
    if page.locator("input[name=password]").count():
        sign_in_on_the_page(page, user.email, user.password)
    if page.locator("button[name=decision][value=allow]").count():
        page.click("button[name=decision][value=allow]")
    page.wait_for_url(app_url + "/")


def _chat(page, text: str) -> None:
    page.fill("input[name=message]", text)
    page.click("form:has(input[name=message]) button[type=submit]")
    page.wait_for_load_state()


def _tokens_of(auth, client) -> list[tuple]:
    """(id, family_id, refresh_rotated_at) of each token the client holds, oldest first."""

    def rows():
        query = select(Token.id, Token.family_id, Token.refresh_rotated_at).where(Token.client_id == client.pk)
        return [tuple(row) for row in db_session().execute(query.order_by(Token.id))]

    return auth.run(rows)


def test_sign_in_chat_refresh_and_a_revoked_sign_in_leads_back_to_sign_in(example, page):
    # Access tokens live 30 s, inside Authlib's 60 s leeway: the app refreshes before each API call.
    auth, app_url, client = example(access_token_ttl=30)
    user = auth.user()
    _sign_in(page, app_url, user)
    assert page.locator("[data-field=email]").inner_text() == user.email

    _chat(page, "hello there")
    assert page.locator("[data-field=answer]").inner_text() == "[demo model] You said: hello there"
    first, second = _tokens_of(auth, client)
    assert first[2] is not None and second[1] == first[1]  # rotated, within one family
    # The rotated refresh token was kept: a second refresh works (a stale one would revoke the family).
    _chat(page, "and again")
    assert page.locator("[data-field=answer]").inner_text() == "[demo model] You said: and again"
    assert len(_tokens_of(auth, client)) == 3

    auth.run(tokens.revoke_family, first[1], "test")
    _chat(page, "still there?")
    assert page.locator("[role=status]").inner_text() == "Your session has ended. Please sign in again."
    assert page.locator("[data-action=sign-in]").is_visible()
    assert page.locator("input[name=message]").count() == 0


def test_a_revoked_access_token_leads_back_to_sign_in_and_sign_out_ends_both_sessions(example, page):
    auth, app_url, client = example()
    user = auth.user()
    _sign_in(page, app_url, user)
    _chat(page, "hi")
    assert page.locator("[data-field=answer]").inner_text() == "[demo model] You said: hi"
    (issued,) = _tokens_of(auth, client)  # an hour-long token: no refresh needed
    auth.run(tokens.revoke_token, issued[0])
    _chat(page, "hi again")
    assert page.locator("[role=status]").inner_text() == "Your session has ended. Please sign in again."

    _sign_in(page, app_url, user)  # still signed in at the server, consent remembered: straight back
    assert page.locator("[data-field=email]").inner_text() == user.email
    page.click("button:has-text('Sign out')")
    assert page.locator("h1").inner_text() == "Sign out?"  # the server's RP-initiated logout confirmation
    page.click("button:has-text('Sign out')")
    page.wait_for_url(app_url + "/")
    assert page.locator("[data-action=sign-in]").is_visible()
    page.goto(auth.url + "/account/apps")
    assert page.url.startswith(auth.url + "/login")


def test_an_api_that_does_not_answer_is_a_message_not_an_error_page(example, page):
    auth, app_url, _client = example(api_url=f"http://127.0.0.1:{free_port()}/v1")  # nothing listens
    user = auth.user()
    _sign_in(page, app_url, user)
    _chat(page, "anyone?")
    assert (
        page.locator("[role=status]").inner_text() == "The AI API could not be reached. Please try again in a moment."
    )
    assert page.locator("[data-field=email]").inner_text() == user.email  # still signed in
