import pytest

from tests.support.accounts import add_user
from tests.support.accounts import csrf_token

PASSWORD = "correct horse battery"


@pytest.fixture
def user(auth_app):
    return add_user(auth_app, "ada@example.com", PASSWORD)


@pytest.fixture
def signed_in(auth_app, user):
    client = auth_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    return client
