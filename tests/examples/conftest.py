"""The example apps against the real servers: an authorization server and a resource server."""

from tests.resource.conftest import start_resource  # noqa: F401
from tests.support.browser import chromium  # noqa: F401
from tests.support.browser import database_url  # noqa: F401
from tests.support.browser import page  # noqa: F401
