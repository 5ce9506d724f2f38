"""RFC 7591: what a registration may ask for, what it gets back, and each refusal in the RFC's JSON."""

from __future__ import annotations

import base64
import json

import pytest

from tests.registration.conftest import CALLBACK


def _jws(header: dict) -> str:
    encode = lambda part: base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{encode(header)}.{encode({'software_id': 'x'})}.c2ln"


def test_both_metadata_documents_advertise_the_registration_endpoint(registrar):
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        assert registrar.http.get(path).json["registration_endpoint"] == "http://127.0.0.1:5000/oauth/register"


def test_a_confidential_client_gets_a_secret_and_its_metadata_echoed(registrar):
    registrar.scope("chat:create")
    metadata = {
        "client_name": "Notes",
        "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_post",
        "scope": "openid chat:create",
        "client_uri": "https://notes.example",
        "logo_uri": "https://notes.example/logo.png",
        "policy_uri": "https://notes.example/privacy",
        "tos_uri": "https://notes.example/terms",
    }
    response = registrar.register(metadata, registrar.token())
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert {key: body[key] for key in metadata} == metadata
    assert len(body["client_secret"]) >= 43 and body["client_secret_expires_at"] == 0
    assert isinstance(body["client_id_issued_at"], int)
    assert body["client_id"]


def test_unknown_members_are_ignored_and_unknown_grant_types_dropped(registrar):
    response = registrar.register(
        {
            "redirect_uris": [CALLBACK],
            "grant_types": ["authorization_code", "implicit", "urn:example:magic"],
            "application_type": "native",
            "client_name#fr": "Notes",
            "software_id": "abc",
        },
        registrar.token(),
    )
    assert response.status_code == 201, response.json
    assert response.json["grant_types"] == ["authorization_code"]
    assert "application_type" not in response.json and "client_name#fr" not in response.json


def test_defaults_are_rfc_7591s_with_sign_in_only_scope(registrar):
    """Left out: authorization_code, code, client_secret_basic (RFC 7591 §2), and only the OpenID scopes."""
    body = registrar.register({"redirect_uris": [CALLBACK]}, registrar.token()).json
    assert body["grant_types"] == ["authorization_code"]
    assert body["response_types"] == ["code"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["scope"] == "openid profile email offline_access"
    assert body["client_name"] == "Unnamed app"


def test_a_client_credentials_service_needs_no_redirect_uri_and_gets_no_default_scope(registrar):
    body = registrar.register({"grant_types": ["client_credentials"]}, registrar.token()).json
    assert body["grant_types"] == ["client_credentials"]
    assert "response_types" not in body and "scope" not in body
    assert body["access_token_format"] == "opaque"


def test_a_client_may_ask_for_jwt_access_tokens(registrar):
    metadata = {"grant_types": ["client_credentials"], "access_token_format": "jwt"}
    assert registrar.register(metadata, registrar.token()).json["access_token_format"] == "jwt"


INVALID = [
    ("not an object", ["a"], "invalid_client_metadata"),
    ("redirect_uris not an array", {"redirect_uris": CALLBACK}, "invalid_redirect_uri"),
    ("plain http off loopback", {"redirect_uris": ["http://app.example/cb"]}, "invalid_redirect_uri"),
    ("fragment", {"redirect_uris": ["https://app.example/cb#x"]}, "invalid_redirect_uri"),
    ("relative", {"redirect_uris": ["/cb"]}, "invalid_redirect_uri"),
    ("too many", {"redirect_uris": [f"https://app.example/{n}" for n in range(11)]}, "invalid_redirect_uri"),
    ("quote and non-ASCII in a URI", {"redirect_uris": ['http://app.example/"é']}, "invalid_redirect_uri"),
    ("code grant without redirect URI", {"grant_types": ["authorization_code"]}, "invalid_redirect_uri"),
    ("no supported grant type", {"redirect_uris": [CALLBACK], "grant_types": ["implicit"]}, "invalid_client_metadata"),
    ("refresh_token alone", {"redirect_uris": [CALLBACK], "grant_types": ["refresh_token"]}, "invalid_client_metadata"),
    (
        "grant_types not an array",
        {"redirect_uris": [CALLBACK], "grant_types": "authorization_code"},
        "invalid_client_metadata",
    ),
    (
        "public client_credentials",
        {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"},
        "invalid_client_metadata",
    ),
    ("no code response type", {"redirect_uris": [CALLBACK], "response_types": ["token"]}, "invalid_client_metadata"),
    (
        "unknown auth method",
        {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "tls_client_auth"},
        "invalid_client_metadata",
    ),
    (
        "private_key_jwt, an administrator's to register",
        {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "private_key_jwt"},
        "invalid_client_metadata",
    ),
    (
        "app_type cannot choose the auth method",
        {"redirect_uris": [CALLBACK], "app_type": "web", "token_endpoint_auth_method": "magic"},
        "invalid_client_metadata",
    ),
    ("name not a string", {"redirect_uris": [CALLBACK], "client_name": 7}, "invalid_client_metadata"),
    ("name too long", {"redirect_uris": [CALLBACK], "client_name": "x" * 201}, "invalid_client_metadata"),
    (
        "javascript: home page",
        {"redirect_uris": [CALLBACK], "client_uri": "javascript:alert(1)"},
        "invalid_client_metadata",
    ),
    (
        "logo not a string",
        {"redirect_uris": [CALLBACK], "logo_uri": ["https://app.example/l.png"]},
        "invalid_client_metadata",
    ),
    ("policy without host", {"redirect_uris": [CALLBACK], "policy_uri": "https:///privacy"}, "invalid_client_metadata"),
    ("terms not http", {"redirect_uris": [CALLBACK], "tos_uri": "ftp://app.example/terms"}, "invalid_client_metadata"),
    ("contacts not an array", {"redirect_uris": [CALLBACK], "contacts": "ops@app.example"}, "invalid_client_metadata"),
    (
        "too many contacts",
        {"redirect_uris": [CALLBACK], "contacts": [f"{n}@app.example" for n in range(11)]},
        "invalid_client_metadata",
    ),
    ("unknown scope", {"redirect_uris": [CALLBACK], "scope": "openid admin:everything"}, "invalid_client_metadata"),
    ("scope not a string", {"redirect_uris": [CALLBACK], "scope": ["openid"]}, "invalid_client_metadata"),
    (
        "unknown access token format",
        {"redirect_uris": [CALLBACK], "access_token_format": "x"},
        "invalid_client_metadata",
    ),
    (
        "software statement not a JWT",
        {"redirect_uris": [CALLBACK], "software_statement": "not-a-jwt"},
        "invalid_software_statement",
    ),
    (
        "software statement from nobody we trust",
        {"redirect_uris": [CALLBACK], "software_statement": _jws({"alg": "RS256"})},
        "unapproved_software_statement",
    ),
]


@pytest.mark.parametrize("metadata, error", [case[1:] for case in INVALID], ids=[case[0] for case in INVALID])
def test_invalid_metadata_is_refused_in_the_rfcs_json_and_registers_nothing(registrar, metadata, error):
    token = registrar.token()
    before = registrar.client_count()
    response = registrar.register(metadata, token)
    assert response.status_code == 400
    assert response.json["error"] == error
    assert response.json["error_description"]
    assert response.headers["Cache-Control"] == "no-store"
    assert registrar.client_count() == before


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"{not json", "application/json"),
        (b"", "application/json"),
        (b"redirect_uris=x", "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_that_is_not_json_is_invalid_metadata(registrar, body, content_type):
    response = registrar.http.post(
        "/oauth/register",
        data=body,
        content_type=content_type,
        headers={"Authorization": f"Bearer {registrar.token()}"},
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid_client_metadata"


def test_with_a_token_a_restricted_scope_is_registered_and_granted_once_an_admin_approves_it(registrar, cli):
    registrar.scope("admin:billing", restricted=True)
    body = registrar.register({"grant_types": ["client_credentials"], "scope": "admin:billing"}, registrar.token()).json
    assert body["scope"] == "admin:billing"

    def granted() -> str:
        response = registrar.http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": _basic(body["client_id"], body["client_secret"])},
        )
        return response.json.get("scope", "")

    assert "admin:billing" not in granted()
    cli.ok("clients", "approve-scope", body["client_id"], "admin:billing")
    assert granted() == "admin:billing"


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
