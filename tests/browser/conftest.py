"""Browser tests: real Chromium against a live server. SQLite only: storage is covered elsewhere,
and each browser test is slow enough without running twice."""

from tests.support.browser import callback  # noqa: F401
from tests.support.browser import chromium  # noqa: F401
from tests.support.browser import database_url  # noqa: F401
from tests.support.browser import page  # noqa: F401
