"""The consent page template: the client named with its links, every scope by description, the
decision buttons of CONTRACT.md, and a page (not JSON) when its form has expired."""

import re
from urllib.parse import urlencode

from authserver.clients.services import register_client
from tests.support.oauth import pkce_pair


def consent_page(auth_app, signed_in, scope):
    with auth_app.app_context():
        client = register_client(
            name="Notes <app>",
            redirect_uris=["https://notes.example/cb"],
            client_uri="https://notes.example/",
            policy_uri="https://notes.example/privacy",
        ).client
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": "https://notes.example/cb",
        "scope": scope,
        "state": "s",
        "code_challenge": pkce_pair()[1],
        "code_challenge_method": "S256",
    }
    return signed_in.get("/oauth/authorize?" + urlencode(params))


def test_consent_page_names_the_client_its_links_and_every_scope_by_description(auth_app, signed_in, user):
    response = consent_page(auth_app, signed_in, "openid email")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Notes &lt;app&gt;" in html and "<app>" not in html
    assert 'href="https://notes.example/"' in html and 'href="https://notes.example/privacy"' in html
    assert re.findall(r'<li data-scope="([^"]+)">([^<]+)</li>', html) == [
        ("openid", "Sign you in and know who you are"),
        ("email", "See your email address"),
    ]
    assert user.email in html
    assert re.findall(r'<button type="submit" name="decision" value="(\w+)"', html) == ["allow", "deny"]
    assert 'name="csrf_token"' in html


def test_an_expired_consent_form_gets_a_page_not_json(auth_app, signed_in):
    response = signed_in.post("/oauth/authorize?client_id=x", data={"decision": "allow"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "This form has expired" in response.get_data(as_text=True)
