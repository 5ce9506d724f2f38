"""The device flow as a person lives it, in Chromium: the device (plain ``requests``, reading only
our metadata) shows a code; the person opens the verification page, enters it, signs in, allows.
"""

import pytest

from authserver.scopes.catalog import scope_descriptions
from tests.support.browser import sign_in_on_the_page
from tests.support.device import device_client
from tests.support.device import poll
from tests.support.device import start
from tests.support.oauth import introspect

pytestmark = pytest.mark.browser

SCOPE = "openid email"


def test_code_then_sign_in_then_consent_then_the_device_gets_its_tokens(live_auth, page):
    client = device_client(live_auth, name="Terminal agent", scope=SCOPE)
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    user = live_auth.user()
    codes = start(live_auth, client, scope=SCOPE)
    assert poll(live_auth, client, codes["device_code"]).json()["error"] == "authorization_pending"

    # The person types the code the device printed, in lower case and without the dash.
    page.goto(codes["verification_uri"])
    page.fill("input[name=user_code]", codes["user_code"].lower().replace("-", ""))
    page.click("form button[type=submit]")
    page.wait_for_url(live_auth.url + "/login?*")
    sign_in_on_the_page(page, user.email, user.password)

    assert "Terminal agent" in page.locator("h1").inner_text()
    listed = {item.get_attribute("data-scope"): item.inner_text() for item in page.locator("ul.scopes li").all()}
    assert listed == live_auth.run(scope_descriptions, SCOPE.split())
    page.click("button[name=decision][value=allow]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "You can return to your device"

    tokens = poll(live_auth, client, codes["device_code"]).json()
    answer = introspect(live_auth, resource, tokens["access_token"]).json()
    assert answer["active"] is True and answer["sub"] == user.sub and answer["scope"] == SCOPE
    assert poll(live_auth, client, codes["device_code"]).json()["error"] == "invalid_grant"


def test_prefilled_link_wrong_code_and_denial(live_auth, page):
    client = device_client(live_auth, name="TV app", scope=SCOPE)
    user = live_auth.user()
    codes = start(live_auth, client, scope=SCOPE)

    page.goto(live_auth.url + "/device")
    page.fill("input[name=user_code]", "BCDF-GHJK" if codes["user_code"] != "BCDF-GHJK" else "GHJK-BCDF")
    page.click("form button[type=submit]")
    assert "not valid, or it has expired" in page.locator(".error").inner_text()

    page.goto(codes["verification_uri_complete"])
    assert page.input_value("input[name=user_code]") == codes["user_code"]
    page.click("form button[type=submit]")
    sign_in_on_the_page(page, user.email, user.password)
    page.click("button[name=decision][value=deny]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Access denied"
    assert poll(live_auth, client, codes["device_code"]).json()["error"] == "access_denied"
