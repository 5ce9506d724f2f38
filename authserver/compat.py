"""Every place the authorization server relies on a library's internals, and only here.

Each is kept because removing it measurably costs a hot path (docs/performance.md, "Library
internals"); each library has an upper version bound in setup.cfg, and tests/foundation/test_compat.py
fails with a plain message when a release changes what is relied on.

- Werkzeug (checked on 3.1): ``Request._load_form_data``, the hook ``form``/``files`` call to parse a
  body and whose results it reads from the instance ``__dict__``; and the ``werkzeug.url_quote``
  codec error handler that ``werkzeug.urls`` registers, so undecodable escapes stay as werkzeug keeps them.
- Authlib (checked on 1.9): the attributes ``OAuth2Request.__init__`` sets and ``FlaskOAuth2Request``'s
  ``_request``, set by ``IssuerRequest`` without calling the constructor and its per-request transport
  check. The one import of Authlib's server side outside ``oauth2/``, which alone uses it.
"""

from __future__ import annotations

import io
from urllib.parse import parse_qsl

import werkzeug.urls  # noqa: F401  registers the "werkzeug.url_quote" codec error handler
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request
from flask import Request as FlaskRequest

FORM_URLENCODED = "application/x-www-form-urlencoded"


class Request(FlaskRequest):
    """Every token, introspection and revocation call sends a small URL-encoded form; werkzeug's
    general form parser (a parser object, stream wrappers and limits looked up per request) costs
    more than decoding the form itself. The result is werkzeug's: the body read within
    MAX_CONTENT_LENGTH (413 past it), blank values kept, undecodable escapes kept as werkzeug
    keeps them, and a body that is not UTF-8 parsed as an empty form.
    """

    def _load_form_data(self) -> None:
        body = self._whole_form_body()
        if body is None:
            super()._load_form_data()
            return
        try:
            items = parse_qsl(body.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
        except ValueError:
            items = []
        self.__dict__.update(
            stream=io.BytesIO(), form=self.parameter_storage_class(items), files=self.parameter_storage_class()
        )

    def _whole_form_body(self) -> bytes | None:
        """The body of an untouched URL-encoded request of a known length within the limit, read
        straight from the server; None leaves every other case (chunked bodies, oversized ones,
        bodies already read) to werkzeug."""
        d = self.__dict__
        if "form" in d or "stream" in d or "_cached_data" in d or self.mimetype != FORM_URLENCODED:
            return None
        length, limit = self.content_length, self.max_content_length
        if length is None or (limit is not None and length > limit) or self.shallow:
            return None
        return self.environ["wsgi.input"].read(length)


class IssuerRequest(FlaskOAuth2Request):
    """Authlib's request as the issuer names it (behind a proxy, Flask's own URL may say http).

    What ``OAuth2Request.__init__`` sets, without its transport check: every URI here starts with
    the issuer, whose transport ``AuthorizationServer`` checks once (a URL parse, and an address
    parse for loopback http, otherwise paid on every token and introspection request).
    """

    def __init__(self, request, public_url: str):
        self.method = request.method
        self.uri = public_url
        self.headers = request.headers
        self._body = None
        self._scope = None
        self.client = self.auth_method = self.user = None
        self.authorization_code = self.refresh_token = self.credential = None
        self._request = request
        self.payload = FlaskOAuth2Payload(request)
