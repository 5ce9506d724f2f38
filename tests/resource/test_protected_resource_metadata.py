"""Protected resource metadata (RFC 9728) and the challenges that point at it."""

from __future__ import annotations

import requests


def test_both_documents_name_resource_url_as_the_one_resource(fake_as, start_resource):
    server = start_resource(fake_as.url, resource_url="https://api.example")
    root = requests.get(server.url + "/.well-known/oauth-protected-resource", timeout=10)
    for_mcp = requests.get(server.url + "/.well-known/oauth-protected-resource/mcp", timeout=10)
    assert root.status_code == for_mcp.status_code == 200
    assert (
        root.json()
        == for_mcp.json()
        == {
            "resource": "https://api.example",
            "authorization_servers": [fake_as.url],
            "scopes_supported": ["models:read", "embeddings:create", "chat:create"],
            "bearer_methods_supported": ["header"],
            "dpop_signing_alg_values_supported": [
                "RS256",
                "RS384",
                "RS512",
                "PS256",
                "PS384",
                "PS512",
                "ES256",
                "ES384",
                "ES512",
                "EdDSA",
            ],
            "dpop_bound_access_tokens_required": False,
            "resource_name": root.json()["resource_name"],
            "resource_documentation": "https://api.example/docs",
        }
    )
    assert root.json()["resource_name"]
    challenge = requests.get(server.url + "/v1/models", timeout=10).headers["WWW-Authenticate"]
    assert 'resource_metadata="https://api.example/.well-known/oauth-protected-resource"' in challenge


def test_documentation_page_names_the_endpoints_and_tools(resource):
    page = requests.get(resource.url + "/docs", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    for text in ("/v1/chat/completions", "chat:create", "POST /mcp", "list_models", resource.url):
        assert text in page.text
