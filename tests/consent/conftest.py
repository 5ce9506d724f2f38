import pytest

from tests.support.accounts import add_user

PASSWORD = "correct horse battery"


@pytest.fixture
def user(auth_app):
    return add_user(auth_app, "ada@example.com", PASSWORD)
