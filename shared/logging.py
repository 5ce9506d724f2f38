"""Logging set up once per process; tokens and secrets never reach a log line."""

from __future__ import annotations

import logging
import re

_CREDENTIAL = re.compile(
    r"(?i)(access_token|refresh_token|client_secret|code|password|token|authorization:\s*bearer)"
    r"([=:\s\"']+)[^&\s\"',]+"
)


class RedactCredentials(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _CREDENTIAL.sub(r"\1\2[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if not any(isinstance(f, RedactCredentials) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler.addFilter(RedactCredentials())
        root.addHandler(handler)
    root.setLevel(level)
    # werkzeug logs request lines with query strings, which can carry codes: redact them too, for
    # every handler (not only ours). Once: each app built in a process calls this again.
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactCredentials) for f in werkzeug.filters):
        werkzeug.addFilter(RedactCredentials())
