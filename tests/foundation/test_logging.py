"""Logging: credentials in werkzeug's request lines are redacted, by one filter however many apps are built."""

import logging

from shared.logging import RedactCredentials
from shared.logging import configure_logging


def test_request_lines_are_redacted_by_one_filter_however_many_apps_configure_logging():
    for _ in range(3):
        configure_logging()
    werkzeug = logging.getLogger("werkzeug")
    filters = [f for f in werkzeug.filters if isinstance(f, RedactCredentials)]
    assert len(filters) == 1
    record = werkzeug.makeRecord("werkzeug", logging.INFO, __file__, 1, '"GET /cb?code=%s&state=s HTTP/1.1" 302',
                                 ("secret-code",), None)
    assert werkzeug.filter(record)
    assert "secret-code" not in record.getMessage() and "code=[redacted]" in record.getMessage()
