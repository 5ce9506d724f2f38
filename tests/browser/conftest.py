"""Browser tests: real Chromium against a live server. SQLite only: storage is covered elsewhere,
and each browser test is slow enough without running twice."""

import shutil

import pytest

from tests.support.browser import callback  # noqa: F401
from tests.support.browser import chromium  # noqa: F401
from tests.support.browser import page  # noqa: F401


@pytest.fixture
def database_url(tmp_path, sqlite_template):
    path = tmp_path / "authserver.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"

