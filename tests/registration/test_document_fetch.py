"""Fetching client ID metadata documents from a real local HTTP server: each SSRF guard and limit."""

from __future__ import annotations

import pytest

from authserver.registration.fetch import MAX_BYTES
from authserver.registration.fetch import DocumentRefused
from authserver.registration.fetch import cache_seconds
from authserver.registration.fetch import check_url
from authserver.registration.fetch import fetch
from tests.support.documents import Answer
from tests.support.documents import DocumentServer

LOCAL = frozenset({"127.0.0.1"})


@pytest.fixture
def documents():
    server = DocumentServer().start()
    yield server
    server.stop()


def test_an_allow_listed_host_is_fetched(documents):
    url = documents.document("/client.json", ["https://app.example/cb"])
    fetched = fetch(url, LOCAL, timeout=5)
    assert b'"client_id"' in fetched.body
    assert documents.hits["/client.json"] == 1


def test_loopback_is_refused_without_the_allow_list(documents):
    url = documents.document("/client.json", ["https://app.example/cb"])
    with pytest.raises(DocumentRefused, match="https"):
        fetch(url, frozenset(), timeout=5)
    with pytest.raises(DocumentRefused, match="private, loopback or reserved"):
        fetch(url.replace("http://", "https://"), frozenset(), timeout=5)
    assert documents.hits == {}


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.4",
        "169.254.169.254",
        "[::1]",
        "[fd00::1]",
        "[fe80::1]",
        "[::ffff:127.0.0.1]",
        "0.0.0.0",
        "224.0.0.1",
        "100.64.0.1",
        "240.0.0.1",
    ],
)
def test_private_loopback_link_local_multicast_and_reserved_addresses_are_refused(host):
    with pytest.raises(DocumentRefused, match="private, loopback or reserved"):
        fetch(f"https://{host}/client.json", frozenset(), timeout=1)


def test_a_redirect_is_not_followed(documents):
    target = documents.document("/real.json", ["https://app.example/cb"])
    url = documents.serve("/moved.json", Answer(status=302, headers={"Location": target}))
    with pytest.raises(DocumentRefused, match="redirects"):
        fetch(url, LOCAL, timeout=5)
    assert "/real.json" not in documents.hits


@pytest.mark.parametrize("chunked", [False, True], ids=["with Content-Length", "chunked"])
def test_an_oversized_document_is_refused(documents, chunked):
    url = documents.serve("/big.json", Answer(body=b"{" + b" " * MAX_BYTES + b"}", chunked=chunked))
    with pytest.raises(DocumentRefused, match="larger than"):
        fetch(url, LOCAL, timeout=5)


def test_a_document_of_exactly_the_limit_is_read(documents):
    url = documents.serve("/full.json", Answer(body=b"{" + b" " * (MAX_BYTES - 2) + b"}"))
    assert len(fetch(url, LOCAL, timeout=5).body) == MAX_BYTES


def test_a_slow_server_is_given_up_on(documents):
    url = documents.serve("/slow.json", Answer(body=b"{}", delay=2))
    with pytest.raises(DocumentRefused, match="took too long"):
        fetch(url, LOCAL, timeout=0.3)


def test_an_error_status_is_refused(documents):
    with pytest.raises(DocumentRefused, match="HTTP 404"):
        fetch(documents.url + "/missing.json", LOCAL, timeout=5)


@pytest.mark.parametrize(
    "url, message",
    [
        ("https://app.example", "needs a path"),
        ("https://app.example/", "needs a path"),
        ("https://app.example/a/../client.json", "without . or .."),
        ("https://user:pw@app.example/client.json", "no user name"),
        ("https://app.example/client.json#frag", "fragment"),
        ("http://app.example/client.json", "must use https"),
        ("https://app.example/" + "x" * 250, "at most 255"),
        ("https://[::1/client.json", "not a valid URL"),
    ],
)
def test_urls_that_cannot_name_a_client(url, message):
    with pytest.raises(DocumentRefused, match=message):
        check_url(url, frozenset())


@pytest.mark.parametrize(
    "headers, seconds",
    [
        ({}, 300),
        ({"Cache-Control": "max-age=3600"}, 3600),
        ({"Cache-Control": "public, max-age=10"}, 300),
        ({"Cache-Control": "max-age=999999"}, 86400),
        ({"Cache-Control": "no-store"}, 300),
        ({"Expires": "Thu, 01 Jan 1970 00:00:00 GMT"}, 300),
        ({"Cache-Control": "max-age=oops"}, 300),
    ],
)
def test_cache_time_follows_the_headers_within_five_minutes_and_a_day(headers, seconds):
    assert cache_seconds(headers) == seconds
