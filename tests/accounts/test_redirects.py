"""``next`` after sign-in: same-origin relative paths only (RFC 9700 §4.11, open redirectors)."""

import pytest

from authserver.accounts.redirects import DEFAULT_NEXT
from authserver.accounts.redirects import safe_next


@pytest.mark.parametrize(
    "value",
    ["/account/apps", "/oauth/authorize?client_id=a&scope=openid%20email&state=x", "/login?next=/x#frag"],
)
def test_relative_paths_are_kept(value):
    assert safe_next(value) == value


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "evil.example/path",
        "http:/evil.example",
        "/ok/" + "a" * 2001,
        "/caf\u00e9",
    ],
)
def test_anything_else_falls_back_to_the_default(value):
    assert safe_next(value) == DEFAULT_NEXT
