"""Portal tests: real Chromium against a live server (SQLite only, as the other browser tests)."""

from tests.support.browser import callback  # noqa: F401
from tests.support.browser import chromium  # noqa: F401
from tests.support.browser import database_url  # noqa: F401
from tests.support.browser import page  # noqa: F401
