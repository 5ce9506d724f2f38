"""The authorization server parses URL-encoded forms itself: exactly as werkzeug would, only cheaper."""

from __future__ import annotations

import flask
import pytest
from werkzeug.test import EnvironBuilder

from authserver.compat import Request

BODIES = [
    b"grant_type=client_credentials&scope=models%3Aread+embeddings",
    b"token=abc&token_type_hint=",
    b"a=1&a=2&b",
    b"=x&a=b=c&&c=%zz&d=%ff%fe&e=caf%C3%A9",
    b"\xff\xfe=\x00",
    b"",
]


@pytest.mark.parametrize("body", BODIES)
def test_urlencoded_forms_parse_as_werkzeug_parses_them(body):
    def parsed(request_class):
        environ = EnvironBuilder(
            method="POST", data=body, content_type="application/x-www-form-urlencoded"
        ).get_environ()
        request = request_class(environ)
        return list(request.form.lists()), list(request.files.lists())

    assert parsed(Request) == parsed(flask.Request)


def test_a_token_request_whose_body_is_not_utf8_is_an_oauth_error(auth_app):
    response = auth_app.test_client().post(
        "/oauth/token",
        data=b"grant_type=\xff\xfe",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"  # read as an empty form: no grant_type


def test_other_bodies_still_go_through_werkzeug(auth_app):
    with auth_app.test_request_context("/", method="POST", data={"a": "1"}, content_type="multipart/form-data"):
        assert isinstance(flask.request, Request)
        assert flask.request.form.to_dict() == {"a": "1"}


def test_a_body_already_read_is_still_parsed_as_a_form(auth_app):
    body = b"grant_type=client_credentials&scope=a+b"
    with auth_app.test_request_context("/", method="POST", data=body, content_type="application/x-www-form-urlencoded"):
        assert flask.request.get_data() == body
        assert flask.request.form.to_dict() == {"grant_type": "client_credentials", "scope": "a b"}


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/introspect"])
def test_a_form_one_byte_over_the_size_limit_is_refused_with_413_json(auth_app, path):
    body = b"token=" + b"a" * (auth_app.config["MAX_CONTENT_LENGTH"] + 1 - len(b"token="))
    response = auth_app.test_client().post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and response.is_json
