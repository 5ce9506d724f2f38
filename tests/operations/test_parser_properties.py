"""Properties of the parsers that read untrusted input, over inputs hypothesis makes up: scope
strings, redirect URIs, bearer headers and URL-encoded form bodies. Derandomized, so each run
tries the same inputs (``make fuzz`` runs more of them: FUZZ_MAX_EXAMPLES)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

from authserver.clients.redirects import redirect_uri_matches
from authserver.clients.redirects import validate_redirect_uri
from authserver.compat import Request
from authserver.errors import InvalidInput
from authserver.scopes.policy import parse_scope
from resource.auth import presented_token
from resource.errors import ApiError

EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "300"))
properties = settings(
    max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Text with what hostile input is made of: controls, spaces, URL delimiters, non-ASCII.
HOSTILE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
URL_PIECES = st.sampled_from(
    [
        "http://",
        "https://",
        "127.0.0.1",
        "[::1]",
        "localhost",
        ":8080",
        ":x",
        "@",
        "evil.example",
        "/cb",
        "?a=1",
        "#f",
        "%2F",
        "\\",
        " ",
        "\t",
        "\n",
        "//",
        "[",
        "]",
    ]
)
URLISH = st.lists(URL_PIECES | HOSTILE, max_size=8).map("".join)


@properties
@given(HOSTILE)
def test_a_parsed_scope_is_distinct_tokens_without_whitespace(value):
    scopes = parse_scope(value)
    assert len(scopes) == len(set(scopes))
    assert all(scope and scope == "".join(scope.split()) for scope in scopes)
    assert parse_scope(" ".join(scopes)) == scopes


@properties
@given(URLISH)
def test_a_redirect_uri_is_accepted_only_as_https_or_loopback_and_never_crashes(uri):
    try:
        accepted = validate_redirect_uri(uri)
    except InvalidInput:
        return
    assert "#" not in accepted
    assert accepted.startswith("https://") or accepted.startswith(("http://127.0.0.1", "http://[::1]"))


@properties
@given(st.lists(URLISH, max_size=3), URLISH)
def test_only_an_exact_or_loopback_redirect_uri_matches(registered, candidate):
    if redirect_uri_matches(registered, candidate) and candidate not in registered:
        assert candidate.startswith(("http://127.0.0.1", "http://[::1]")) and "@" not in candidate


HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=120)


@pytest.fixture(scope="module")
def resource_app(tmp_path_factory):
    from resource import create_app
    from shared.config import Config

    app = create_app(
        Config.from_env(
            environ={},
            instance_path=tmp_path_factory.mktemp("bearer"),
            secret_key="unused",
            resource_issuer="http://127.0.0.1:9",
            testing=True,
        )
    )
    yield app
    app.extensions["resource"].close()


@properties
@given(
    header=st.one_of(
        HEADER_TEXT,
        st.builds("Bearer {}".format, HEADER_TEXT),
        st.builds("bEaReR  {} ".format, HEADER_TEXT),
        st.builds("DPoP {}".format, HEADER_TEXT),
    )
)
def test_an_authorization_header_yields_a_b64token_or_a_401(resource_app, header):
    with resource_app.test_request_context(headers={"Authorization": header}):
        try:
            scheme, token = presented_token()
        except ApiError as refused:
            assert refused.status == 401 and refused.response().get_json()["error"]["code"] == "invalid_token"
            return
    assert token and header.lower().startswith(scheme.lower()) and token in header


FORM_BYTES = st.one_of(
    st.binary(max_size=200),
    st.lists(st.tuples(URLISH, URLISH), max_size=5).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs).encode()),
    st.lists(
        st.sampled_from([b"a=1", b"&", b"=", b"%", b"%zz", b"%C3%28", b"+", b"a", b";b=2", b"\xff"]), max_size=10
    ).map(b"".join),
)


@properties
@given(FORM_BYTES)
def test_the_fast_form_parser_reads_every_body_as_werkzeug_does(body):
    def form(request_class):
        environ = EnvironBuilder(
            method="POST", data=body, content_type="application/x-www-form-urlencoded"
        ).get_environ()
        request = request_class(environ)
        request.max_content_length = 1024 * 1024
        return list(request.form.items(multi=True))

    assert form(Request) == form(WerkzeugRequest)


@pytest.fixture(scope="module")
def token_client(tmp_path_factory, sqlite_template):
    import shutil

    from authserver import create_app
    from shared.config import Config

    path = tmp_path_factory.mktemp("forms") / "db.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = create_app(
        Config.from_env(
            environ={}, instance_path=path.parent, database_url=f"sqlite:///{path}", secret_key="forms", testing=True
        )
    )
    yield app.test_client()
    app.extensions["authserver.db"].dispose()


@settings(
    max_examples=min(EXAMPLES, 150), derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(body=FORM_BYTES, path=st.sampled_from(["/oauth/token", "/oauth/introspect", "/oauth/revoke"]))
def test_any_form_body_gets_an_rfc6749_answer_never_a_5xx(token_client, body, path):
    response = token_client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500
    if response.status_code >= 400:
        assert isinstance(response.get_json()["error"], str)
