"""What authserver/compat.py relies on in its libraries still holds in the installed releases.

Each test fails with a message naming the library, the internal and what to do, so that an upgrade
that changes one is a clear failure here rather than a silent change of behaviour elsewhere.
"""

from __future__ import annotations

import codecs

import flask
import werkzeug
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder

ADVICE = "authserver/compat.py relies on it: check the override against this release, then raise the bound in setup.cfg"


def test_werkzeug_still_parses_forms_through_load_form_data():
    class Probe(flask.Request):
        calls = 0

        def _load_form_data(self) -> None:
            Probe.calls += 1
            self.__dict__.update(form=MultiDict({"seen": "1"}), files=MultiDict())

    environ = EnvironBuilder(method="POST", data=b"a=b", content_type="application/x-www-form-urlencoded").get_environ()
    request = Probe(environ)
    form, files = request.form, request.files
    assert Probe.calls == 1 and form.get("seen") == "1" and not files, (
        f"Werkzeug {werkzeug.__version__} no longer reads Request.form and .files through _load_form_data "
        f"and the instance __dict__; {ADVICE}"
    )


def test_werkzeug_still_registers_its_url_quote_error_handler():
    import werkzeug.urls  # noqa: F401

    try:
        codecs.lookup_error("werkzeug.url_quote")
    except LookupError:
        raise AssertionError(
            f"Werkzeug {werkzeug.__version__} no longer registers the 'werkzeug.url_quote' codec error handler; {ADVICE}"
        ) from None


def test_authlib_request_attributes_are_still_those_issuer_request_sets(auth_app):
    import authlib
    from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request

    from authserver.compat import IssuerRequest

    with auth_app.test_request_context(
        "/oauth/token", method="POST", data={"grant_type": "client_credentials"}, base_url="https://issuer.example"
    ):
        request = flask.request._get_current_object()
        theirs = FlaskOAuth2Request(request)
        ours = IssuerRequest(request, "https://issuer.example/oauth/token")
        assert set(vars(ours)) == set(vars(theirs)) and ours.form is request.form and ours.args is request.args, (
            f"Authlib {authlib.__version__} changed what OAuth2Request.__init__ sets or where FlaskOAuth2Request "
            f"reads the form ({sorted(set(vars(theirs)) ^ set(vars(ours)))}); {ADVICE}"
        )
