"""Clients named by a client ID metadata document served by a real local HTTP server, end to end:
authorization, consent, tokens, the admin CLI, and each refusal."""

from __future__ import annotations

import pytest

from tests.support.documents import Answer
from tests.support.documents import DocumentServer
from tests.support.oauth import CALLBACK
from tests.support.oauth import RegisteredClient
from tests.support.oauth import authorization_params
from tests.support.oauth import exchange_code
from tests.support.oauth import introspect
from tests.support.oauth import serve_auth


@pytest.fixture
def documents():
    server = DocumentServer().start()
    yield server
    server.stop()


@pytest.fixture
def live(config):
    """Documents on 127.0.0.1 allowed (AUTHSERVER_CIMD_ALLOW_HOSTS), and no per-process client cache,
    so an admin's change shows at the next request."""
    with serve_auth(config, cimd_allow_hosts=frozenset({"127.0.0.1"}), lookup_cache_ttl=0) as live:
        yield live


def _client(url: str, redirect_uri: str = CALLBACK) -> RegisteredClient:
    return RegisteredClient(client_id=url, client_secret=None, redirect_uri=redirect_uri, pk=0)


def _refusal(live, client: RegisteredClient, **extra):
    browser = live.browser()
    browser.sign_in(live.user())
    response = browser.authorize(authorization_params(client, **extra))
    assert response.status_code == 400 and not response.is_redirect
    return response.text


def test_the_metadata_says_documents_are_supported(live):
    assert live.metadata()["client_id_metadata_document_supported"] is True


def test_a_document_client_gets_tokens_and_the_consent_page_names_its_host(live, documents, cli):
    url = documents.document(
        "/agent.json",
        [CALLBACK],
        client_name="Agent",
        scope="openid",
        grant_types=["authorization_code", "refresh_token"],
    )
    client = _client(url)
    browser = live.browser()
    user = live.user()
    browser.sign_in(user)
    consent = browser.authorize(authorization_params(client), decision=None)
    assert 'data-field="document_host">127.0.0.1<' in consent.text and "Agent" in consent.text

    code, verifier = browser.authorization_code(client)
    tokens = exchange_code(live, client, code, verifier)
    assert tokens.status_code == 200, tokens.text
    resource_server = live.client(redirect_uri=None, resource_server=True)
    answer = introspect(live, resource_server, tokens.json()["access_token"]).json()
    assert answer["active"] is True and answer["client_id"] == url
    assert documents.hits["/agent.json"] == 1  # fetched once, then reused for its cache time

    listed = {row["client_id"]: row for row in cli.ok("clients", "list", "--json").json}
    assert listed[url]["name"] == "Agent" and listed[url]["token_endpoint_auth_method"] == "none"


def test_a_disabled_document_client_is_refused_while_its_document_is_still_served(live, documents, cli):
    url = documents.document("/agent.json", [CALLBACK])
    code, verifier = live.code(_client(url))
    cli.ok("clients", "disable", url)
    assert "disabled" in _refusal(live, _client(url))
    assert exchange_code(live, _client(url), code, verifier).json()["error"] == "invalid_client"


def test_the_redirect_uri_must_be_one_of_the_documents_exactly(live, documents):
    url = documents.document("/agent.json", ["http://127.0.0.1:8765/callback"])
    _refusal(live, _client(url, "https://elsewhere.example/callback"))
    # Loopback on another port matches a registration elsewhere (RFC 8252 §7.3), not a document's.
    _refusal(live, _client(url, "http://127.0.0.1:9999/callback"))


def test_a_document_naming_another_client_id_is_refused(live, documents):
    url = documents.serve(
        "/agent.json",
        Answer(
            b'{"client_id": "https://other.example/agent.json", "redirect_uris": ["http://127.0.0.1:8765/callback"]}'
        ),
    )
    assert "client_id is not the URL" in _refusal(live, _client(url))


@pytest.mark.parametrize(
    "members, message",
    [
        ({"token_endpoint_auth_method": "client_secret_basic"}, "is public"),
        ({"client_secret": "s3cret"}, "must not hold a client secret"),
        ({"redirect_uris": []}, "lists no redirect_uris"),
        ({"redirect_uris": ["http://app.example/cb"]}, "must use https"),
        ({"grant_types": ["client_credentials"]}, "cannot use client_credentials"),
    ],
)
def test_documents_that_could_not_be_registered_are_refused(live, documents, members, message):
    url = documents.document("/agent.json", **{"redirect_uris": [CALLBACK], **members})
    assert message in _refusal(live, _client(url)).replace("&#39;", "'")


def test_restricted_scopes_in_a_document_are_never_granted(live, documents):
    live.scope("admin:billing", restricted=True)
    url = documents.document("/agent.json", [CALLBACK], scope="openid admin:billing")
    browser = live.browser()
    browser.sign_in(live.user())
    response = browser.authorize(authorization_params(_client(url), scope="openid admin:billing"))
    assert "error=invalid_scope" in response.headers["Location"]


def test_without_the_allow_list_a_loopback_document_is_never_fetched(config, documents):
    url = documents.document("/agent.json", [CALLBACK])
    with serve_auth(config) as live:
        assert "must use https" in _refusal(live, _client(url))
        assert "private, loopback or reserved" in _refusal(live, _client(url.replace("http://", "https://")))
    assert documents.hits == {}


@pytest.mark.parametrize(
    "answer, message",
    [
        (Answer(status=302, headers={"Location": "https://app.example/agent.json"}), "redirects"),
        (Answer(body=b"{" + b" " * 6000 + b"}"), "larger than"),
    ],
)
def test_redirects_and_oversized_documents_are_refused(live, documents, answer, message):
    url = documents.serve("/agent.json", answer)
    assert message in _refusal(live, _client(url))


def test_a_slow_document_is_given_up_on(config, documents):
    url = documents.serve("/agent.json", Answer(body=b"{}", delay=2))
    with serve_auth(config, cimd_allow_hosts=frozenset({"127.0.0.1"}), cimd_fetch_timeout=0.3) as live:
        assert "took too long" in _refusal(live, _client(url))
