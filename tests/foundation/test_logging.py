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
    record = werkzeug.makeRecord(
        "werkzeug", logging.INFO, __file__, 1, '"GET /cb?code=%s&state=s HTTP/1.1" 302', ("secret-code",), None
    )
    assert werkzeug.filter(record)
    assert "secret-code" not in record.getMessage() and "code=[redacted]" in record.getMessage()


def test_each_line_is_one_json_object_tracebacks_included():
    import io
    import json

    from shared.logging import log_handler

    buffer = io.StringIO()
    logger = logging.getLogger("tests.json-lines")
    logger.addHandler(log_handler(buffer))
    logger.propagate = False
    try:
        logger.warning("client_secret=%s sent", "s3cr3t")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed\nacross lines")
    finally:
        logger.propagate = True
        logger.handlers.clear()
    first, second = (json.loads(line) for line in buffer.getvalue().splitlines())
    assert first["level"] == "WARNING" and "s3cr3t" not in first["message"] and first["logger"] == "tests.json-lines"
    assert second["message"] == "failed\nacross lines" and "ValueError: boom" in second["exception"]
