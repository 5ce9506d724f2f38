"""Signing in and out in a real browser, against a live server."""

import re
from urllib.parse import quote

import pytest

from tests.support.browser import sign_in_on_the_page

pytestmark = pytest.mark.browser


def sign_in(page, base_url, email, password, next_url=None):
    page.goto(f"{base_url}/login" + (f"?next={quote(next_url, safe='')}" if next_url else ""))
    sign_in_on_the_page(page, email, password)


def test_login_form_has_the_contract_fields_and_a_csrf_token(live_auth, page):
    page.goto(live_auth.url + "/login")
    form = page.locator("form")
    assert form.count() == 1
    assert form.locator("input[name=email]").count() == 1
    assert form.locator("input[name=password][type=password]").count() == 1
    assert page.locator("button, input[type=submit]").count() == 1
    assert len(form.locator("input[name=csrf_token]").get_attribute("value")) > 20


def test_good_password_signs_in_with_a_httponly_lax_session_cookie(live_auth, page):
    user = live_auth.user()
    sign_in(page, live_auth.url, user.email, user.password)
    assert page.url == live_auth.url + "/account/apps"
    assert page.locator("h1").inner_text() == "Connected apps"
    [cookie] = [c for c in page.context.cookies() if c["name"] == "authserver_session"]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax" and cookie["secure"] is False


def test_wrong_password_stays_on_the_login_page_with_a_generic_error(live_auth, page):
    user = live_auth.user()
    sign_in(page, live_auth.url, user.email, "wrong password!")
    assert page.url.startswith(live_auth.url + "/login")
    assert "don't match an active account" in page.locator(".error").inner_text()
    assert page.input_value("input[name=email]") == user.email
    assert page.input_value("input[name=password]") == ""
    page.goto(live_auth.url + "/account/apps")
    assert page.url.startswith(live_auth.url + "/login?next=")


def test_next_is_honoured(live_auth, page):
    user = live_auth.user()
    sign_in(page, live_auth.url, user.email, user.password, next_url="/logout?state=x")
    assert page.url == live_auth.url + "/logout?state=x"
    assert page.locator("h1").inner_text() == "Sign out?"


@pytest.mark.parametrize("next_url", ["https://example.org/", "//example.org/", "/\\example.org/"])
def test_open_redirect_in_next_is_refused(live_auth, page, next_url):
    user = live_auth.user()
    sign_in(page, live_auth.url, user.email, user.password, next_url=next_url)
    assert page.url == live_auth.url + "/account/apps"


def test_sign_in_required_page_comes_back_after_sign_in(live_auth, page):
    user = live_auth.user()
    page.goto(live_auth.url + "/account/apps")
    assert re.search(r"/login\?next=%2Faccount%2Fapps$", page.url)
    sign_in_on_the_page(page, user.email, user.password)
    page.wait_for_url(live_auth.url + "/account/apps")


def test_sign_out_asks_then_ends_the_session(live_auth, page):
    user = live_auth.user()
    sign_in(page, live_auth.url, user.email, user.password)
    page.click("text=Sign out")
    assert page.locator("h1").inner_text() == "Sign out?"
    page.click("button:has-text('Sign out')")
    assert page.locator("h1").inner_text() == "You are signed out"
    page.goto(live_auth.url + "/account/apps")
    assert page.url.startswith(live_auth.url + "/login")
