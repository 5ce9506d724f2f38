"""The developer portal as a developer lives it, in Chromium: register each kind of app, see the secret
once, rotate with and without grace, edit, delete (tokens die at once), restricted scopes and approval."""

from __future__ import annotations

import secrets

import pytest

from authserver.clients.services import get_client
from authserver.scopes.approvals import approve_scope
from authserver.scopes.approvals import revoke_scope_approval
from tests.support.browser import authorize_url
from tests.support.browser import sign_in_on_the_page
from tests.support.clients import client_credentials
from tests.support.clients import eventually
from tests.support.oauth import RegisteredClient
from tests.support.oauth import introspect
from tests.support.oauth import pkce_pair

pytestmark = pytest.mark.browser

APPS = "/developer/apps"


@pytest.fixture
def developer(live_auth, page):
    """A signed-in developer, the API scopes an admin added, and the portal's list page open."""
    for name in ("models:read", "chat:create"):
        live_auth.scope(name)
    live_auth.scope("admin:all", "Administer everything", restricted=True)
    user = live_auth.user()
    page.goto(live_auth.url + APPS)
    assert page.url.startswith(live_auth.url + "/login?next=")  # not signed in: the login page, then back
    sign_in_on_the_page(page, user.email, user.password)
    assert page.url == live_auth.url + APPS
    return user


def register(
    page, live_auth, *, name: str, app_type: str, redirect_uris: str = "", scopes=("chat:create",), **fields
) -> None:
    page.goto(live_auth.url + APPS)
    page.click("[data-action=register]")
    page.fill("input[name=client_name]", name)
    page.check(f"input[name=app_type][value='{app_type}']")
    page.fill("textarea[name=redirect_uris]", redirect_uris)
    for scope in scopes:
        page.check(f"input[name=scope][value='{scope}']")
    for field, value in fields.items():
        page.fill(f"[name={field}]", value)
    page.click("form button[type=submit]")
    page.wait_for_load_state()


def shown_credentials(page) -> tuple[str, str | None]:
    client_id = page.locator("[data-field=client_id]").inner_text()
    secret = page.locator("[data-field=client_secret]")
    return client_id, secret.inner_text() if secret.count() else None


@pytest.mark.parametrize(
    "app_type, redirect_uris, auth_method, grant_types",
    [
        ("web", "https://notes.example/callback", "client_secret_basic", ["authorization_code", "refresh_token"]),
        ("spa", "https://spa.example/callback", "none", ["authorization_code", "refresh_token"]),
        (
            "native",
            "com.example.notes:/callback\nhttp://127.0.0.1/callback",
            "none",
            ["authorization_code", "refresh_token"],
        ),
        ("service", "", "client_secret_basic", ["client_credentials"]),
    ],
)
def test_register_each_kind_of_app_and_see_the_secret_once(
    live_auth, page, developer, app_type, redirect_uris, auth_method, grant_types
):
    register(page, live_auth, name=f"My {app_type} app", app_type=app_type, redirect_uris=redirect_uris)
    client_id, secret = shown_credentials(page)
    assert (secret is not None) == (auth_method != "none")

    def registered():
        row = get_client(client_id)
        return (
            row.token_endpoint_auth_method,
            row.grant_types,
            row.redirect_uris,
            row.registered_via,
            row.owner_id,
            row.scopes,
        )

    assert live_auth.run(registered) == (
        auth_method,
        grant_types,
        redirect_uris.split(),
        "portal",
        developer.id,
        ["chat:create"],
    )
    credentials_url = page.url
    page.reload()
    assert shown_credentials(page) == (client_id, None)  # never again: not on reload...
    page.goto(live_auth.url + APPS)
    page.click(f"[data-client-id='{client_id}'] a")
    assert shown_credentials(page) == (client_id, None)  # ...nor on the app's page...
    page.goto(credentials_url)
    assert shown_credentials(page) == (client_id, None)  # ...nor by going back to where it was
    if app_type == "service":
        token = client_credentials(live_auth, client_id, secret)
        assert token.status_code == 200 and token.json()["scope"] == "chat:create"


def rotate(page, live_auth, client_id: str, grace: str) -> str:
    page.goto(f"{live_auth.url}{APPS}/{client_id}")
    page.click("text=Rotate secret")
    page.check(f"input[name=grace][value='{grace}']")
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    shown_id, secret = shown_credentials(page)
    assert shown_id == client_id and secret
    return secret


def test_rotation_with_and_without_grace(live_auth, page, developer):
    register(page, live_auth, name="Partner", app_type="service")
    client_id, first = shown_credentials(page)

    second = rotate(page, live_auth, client_id, "1h")
    assert eventually(lambda: client_credentials(live_auth, client_id, second).status_code == 200)
    assert client_credentials(live_auth, client_id, first).status_code == 200  # within its grace period
    page.reload()
    assert shown_credentials(page) == (client_id, None)

    third = rotate(page, live_auth, client_id, "none")
    assert eventually(lambda: client_credentials(live_auth, client_id, second).status_code == 401)
    assert client_credentials(live_auth, client_id, first).status_code == 401  # no grace left for anyone
    assert client_credentials(live_auth, client_id, third).status_code == 200


def test_edit_shows_each_error_next_to_its_field_and_saves_what_passes(live_auth, page, developer):
    register(page, live_auth, name="Notes", app_type="web", redirect_uris="https://notes.example/callback")
    client_id, _ = shown_credentials(page)
    page.goto(f"{live_auth.url}{APPS}/{client_id}/edit")
    page.fill("textarea[name=redirect_uris]", "http://notes.example/callback\nhttps://*.notes.example/cb")
    page.fill("input[name=logo_uri]", "javascript:alert(1)")
    page.fill("input[name=client_name]", "")
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    assert "must use https" in page.locator("[data-error-for=redirect_uris]").inner_text()
    assert "http or https URL" in page.locator("[data-error-for=logo_uri]").inner_text()
    assert page.locator("[data-error-for=client_name]").inner_text() == "required"
    assert live_auth.run(lambda: get_client(client_id).name) == "Notes"  # nothing saved

    page.fill("input[name=client_name]", "Notes 2")
    page.fill("textarea[name=redirect_uris]", "https://notes.example/cb2")
    page.fill("input[name=logo_uri]", "https://notes.example/logo.png")
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    assert page.url == f"{live_auth.url}{APPS}/{client_id}"
    assert live_auth.run(lambda: (get_client(client_id).name, get_client(client_id).redirect_uris)) == (
        "Notes 2",
        ["https://notes.example/cb2"],
    )


def test_delete_after_confirmation_ends_every_token_at_once(live_auth, page, developer):
    resource_server = live_auth.client(redirect_uri=None, resource_server=True)
    register(page, live_auth, name="Doomed", app_type="service")
    client_id, secret = shown_credentials(page)
    token = client_credentials(live_auth, client_id, secret).json()["access_token"]
    assert introspect(live_auth, resource_server, token).json()["active"] is True

    page.goto(f"{live_auth.url}{APPS}/{client_id}")
    page.click("text=Delete")
    assert "Delete Doomed?" in page.locator("h1").inner_text()
    page.click("[data-action=delete]")
    page.wait_for_load_state()
    assert page.url == live_auth.url + APPS
    assert introspect(live_auth, resource_server, token).json() == {"active": False}
    assert page.locator(f"[data-client-id='{client_id}']").count() == 0
    assert page.goto(f"{live_auth.url}{APPS}/{client_id}").status == 404


def test_only_the_owner_sees_an_app(live_auth, page, developer, chromium):
    register(page, live_auth, name="Mine", app_type="service")
    client_id, _ = shown_credentials(page)
    other = live_auth.user()
    context = chromium.new_context()
    try:
        stranger = context.new_page()
        stranger.goto(live_auth.url + APPS)
        sign_in_on_the_page(stranger, other.email, other.password)
        for path in ("", "/edit", "/rotate", "/delete", "/credentials"):
            assert stranger.goto(f"{live_auth.url}{APPS}/{client_id}{path}").status == 404
        assert stranger.locator(f"[data-client-id='{client_id}']").count() == 0
    finally:
        context.close()


def test_a_restricted_scope_waits_for_an_administrator(live_auth, page, developer):
    register(page, live_auth, name="Admin tool", app_type="service", scopes=("chat:create", "admin:all"))
    client_id, secret = shown_credentials(page)
    page.goto(f"{live_auth.url}{APPS}/{client_id}")
    assert page.locator("[data-waiting='admin:all']").count() == 1
    assert (
        client_credentials(live_auth, client_id, secret, scope="chat:create admin:all").json()["scope"] == "chat:create"
    )

    live_auth.run(lambda: approve_scope(get_client(client_id), "admin:all"))
    page.reload()
    assert page.locator("[data-waiting='admin:all']").count() == 0
    assert eventually(
        lambda: (
            set(client_credentials(live_auth, client_id, secret).json()["scope"].split())
            == {"chat:create", "admin:all"}
        )
    )

    live_auth.run(lambda: revoke_scope_approval(get_client(client_id), "admin:all"))
    assert eventually(lambda: client_credentials(live_auth, client_id, secret).json()["scope"] == "chat:create")
    page.reload()
    assert page.locator("[data-waiting='admin:all']").count() == 1


def test_the_consent_page_shows_who_asks(live_auth, page, developer, callback):
    register(
        page,
        live_auth,
        name="Photo app",
        app_type="spa",
        redirect_uris=callback,
        scopes=("openid", "chat:create"),
        client_uri="https://photos.example/about",
        logo_uri="https://photos.example/logo.png",
        policy_uri="https://photos.example/privacy",
        tos_uri="https://photos.example/terms",
    )
    client_id, _ = shown_credentials(page)

    client = RegisteredClient(client_id=client_id, client_secret=None, redirect_uri=callback, pk=0)
    page.goto(authorize_url(live_auth, client, pkce_pair()[1], secrets.token_urlsafe(8), scope="openid chat:create"))
    assert "Photo app" in page.locator("h1").inner_text()
    assert page.locator("[data-field=logo]").get_attribute("src") == "https://photos.example/logo.png"
    assert page.locator("[data-field=home_host]").inner_text() == "photos.example"
    assert page.locator("a", has_text="Privacy policy").get_attribute("href") == "https://photos.example/privacy"
    assert page.locator("a", has_text="Terms of service").get_attribute("href") == "https://photos.example/terms"
