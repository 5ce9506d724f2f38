"""CSRF protection reaches every route a browser can post a form to, whichever blueprint it is in
(the check runs per blueprint, not before every request): only the client endpoints, whose callers
authenticate with their own credentials, are left out, and the views that check it themselves."""

from __future__ import annotations

from authserver.oauth2 import views as oauth2_views

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# RP-initiated logout: a relying party's page posts it, and the view checks the form itself.
CHECKS_ITSELF = {"logout.sign_out"}


def test_every_route_but_the_client_endpoints_refuses_a_form_without_a_csrf_token(auth_app):
    client = auth_app.test_client()
    refused = []
    for rule in auth_app.url_map.iter_rules():
        if rule.endpoint.startswith(oauth2_views.bp.name + ".") or rule.endpoint in CHECKS_ITSELF:
            continue
        path = rule.build({name: 1 for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods & UNSAFE):
            response = client.open(path, method=method, data={"name": "value"})
            assert response.status_code == 400, (method, path, response.status_code)
            assert b"This form has expired" in response.data, (method, path)
            refused.append(rule.endpoint)
    # Pages of every blueprint that has forms, so that a blueprint cannot be left out unnoticed.
    assert {"accounts.login", "consent.revoke", "federation.unlink", "portal.register", "device.enter_code"} <= set(
        refused
    )
