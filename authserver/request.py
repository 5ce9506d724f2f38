"""The authorization server's request class: Flask's, with URL-encoded forms parsed in one step."""

from __future__ import annotations

from urllib.parse import parse_qsl

import werkzeug.urls  # noqa: F401  registers the "werkzeug.url_quote" codec error handler
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
        if "form" in self.__dict__ or self.mimetype != FORM_URLENCODED:
            super()._load_form_data()
            return
        try:
            items = parse_qsl(self._get_stream_for_parsing().read().decode(),
                              keep_blank_values=True, errors="werkzeug.url_quote")
        except ValueError:
            items = []
        self.__dict__["form"] = self.parameter_storage_class(items)
        self.__dict__["files"] = self.parameter_storage_class()
