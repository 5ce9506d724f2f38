"""Client metadata checks shared by the portal and the registration API (RFC 7591 §2, RFC 8252)."""

from __future__ import annotations

import pytest

from authserver.clients.metadata import MAX_REDIRECT_URIS
from authserver.clients.metadata import MetadataError
from authserver.clients.metadata import validate_client_metadata
from authserver.scopes.services import add_scope

WEB = {"client_name": "Acme", "app_type": "web", "redirect_uris": ["https://acme.example/cb"]}


@pytest.fixture
def app_context(auth_app):
    with auth_app.app_context():
        add_scope("chat:create", "Chat")
        add_scope("admin:all", "Everything", restricted=True)
        yield


def errors_of(values: dict) -> dict[str, str]:
    with pytest.raises(MetadataError) as caught:
        validate_client_metadata(values)
    return caught.value.errors


@pytest.mark.parametrize(
    "uri, reason",
    [
        ("http://acme.example/cb", "must use https"),
        ("https://acme.example/cb#frag", "fragment"),
        ("https://acme.example/cb#", "fragment"),
        ("https://*.acme.example/cb", "wildcard"),
        ("https://acme.example/*", "wildcard"),
        ("https://user:pw@acme.example/cb", "user name or password"),
        ("https://127.0.0.1@evil.example/cb", "user name or password"),
        ("http://localhost:8000/cb", "must use https"),
        ("com.example.app:/cb", "not an absolute URL"),  # private-use schemes: native apps only
        ("javascript:alert(1)", "not an absolute URL"),
        ("/relative/cb", "not an absolute URL"),
        ("https://acme.example/" + "a" * 2000, "longer than"),
    ],
)
def test_each_bad_redirect_uri_is_refused_with_its_reason(app_context, uri, reason):
    errors = errors_of({**WEB, "redirect_uris": [uri]})
    assert reason in errors["redirect_uris"]
    with pytest.raises(MetadataError) as caught:
        validate_client_metadata({**WEB, "redirect_uris": [uri]})
    assert caught.value.error_code == "invalid_redirect_uri"


@pytest.mark.parametrize("uri", ["com.example.app:/oauth/cb", "http://127.0.0.1/cb", "http://[::1]:8080/cb"])
def test_native_apps_may_use_private_use_schemes_and_loopback(app_context, uri):
    metadata = validate_client_metadata({"client_name": "CLI", "app_type": "native", "redirect_uris": [uri]})
    assert metadata.redirect_uris == [uri]
    assert metadata.token_endpoint_auth_method == "none"


@pytest.mark.parametrize(
    "uri", ["javascript:/x", "data:/x", "file:/etc/passwd", "myapp:/cb", "com.example.app://host/cb"]
)
def test_a_native_app_scheme_must_be_a_reverse_domain_name_with_a_path(app_context, uri):
    assert "redirect_uris" in errors_of({"client_name": "CLI", "app_type": "native", "redirect_uris": [uri]})


def test_at_most_ten_redirect_uris(app_context):
    uris = [f"https://acme.example/cb{i}" for i in range(MAX_REDIRECT_URIS + 1)]
    assert errors_of({**WEB, "redirect_uris": uris})["redirect_uris"] == "at most 10 redirect URIs"
    assert len(validate_client_metadata({**WEB, "redirect_uris": uris[:-1]}).redirect_uris) == MAX_REDIRECT_URIS


@pytest.mark.parametrize("member", ["client_uri", "logo_uri", "policy_uri", "tos_uri"])
@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "ftp://acme.example/", "acme.example", "https://u@acme.example/"]
)
def test_page_urls_must_be_http_or_https(app_context, member, url):
    errors = errors_of({**WEB, member: url})
    assert list(errors) == [member]
    with pytest.raises(MetadataError) as caught:
        validate_client_metadata({**WEB, member: url})
    assert caught.value.error_code == "invalid_client_metadata"


@pytest.mark.parametrize(
    "values, member",
    [
        ({"client_name": ""}, "client_name"),
        ({"client_name": "x" * 201}, "client_name"),
        ({"description": "x" * 1001}, "description"),
        ({"logo_uri": "https://acme.example/" + "a" * 500}, "logo_uri"),
        ({"app_type": "desktop"}, "app_type"),
        ({"scope": "chat:create nope"}, "scope"),
        ({"redirect_uris": "https://acme.example/cb"}, "redirect_uris"),
        ({"redirect_uris": []}, "redirect_uris"),
        ({"contacts": ["a@example.com"] * 11}, "contacts"),
    ],
)
def test_each_wrong_member_is_reported_under_its_own_name(app_context, values, member):
    assert member in errors_of({**WEB, **values})


def test_every_wrong_member_is_reported_at_once(app_context):
    errors = errors_of(
        {"client_name": "", "app_type": "web", "redirect_uris": ["http://x.example/"], "logo_uri": "javascript:x"}
    )
    assert set(errors) == {"client_name", "redirect_uris", "logo_uri"}


def test_app_types_set_grants_and_auth_method(app_context):
    def check(app_type, uris):
        m = validate_client_metadata({"client_name": "A", "app_type": app_type, "redirect_uris": uris})
        return m.grant_types, m.token_endpoint_auth_method

    assert check("web", ["https://a.example/cb"]) == (["authorization_code", "refresh_token"], "client_secret_basic")
    assert check("spa", ["https://a.example/cb"]) == (["authorization_code", "refresh_token"], "none")
    assert check("native", ["http://127.0.0.1/cb"]) == (["authorization_code", "refresh_token"], "none")
    assert check("service", []) == (["client_credentials"], "client_secret_basic")


def test_api_members_unknown_grant_types_ignored_unless_nothing_usable_remains(app_context):
    base = {
        "client_name": "Agent",
        "redirect_uris": ["https://a.example/cb"],
        "token_endpoint_auth_method": "none",
        "software_id": "ignored",
        "grant_types": ["authorization_code", "urn:example:unknown"],
    }
    assert validate_client_metadata(base).grant_types == ["authorization_code"]
    assert "grant_types" in errors_of({**base, "grant_types": ["urn:example:unknown"]})
    assert "grant_types" in errors_of({**base, "grant_types": ["client_credentials"]})  # public


def test_restricted_scopes_may_be_asked_for(app_context):
    assert validate_client_metadata({**WEB, "scope": "chat:create admin:all"}).scope == ["chat:create", "admin:all"]
    assert validate_client_metadata({**WEB, "scope": ["chat:create"]}).scope == ["chat:create"]
