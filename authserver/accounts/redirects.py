"""Where sign-in may send people afterwards: only paths on this server (no open redirect, RFC 9700 §4.11)."""

from __future__ import annotations

from urllib.parse import urlsplit

from authserver.paths import ACCOUNT_APPS_PATH

DEFAULT_NEXT = ACCOUNT_APPS_PATH


def safe_next(value: str | None, default: str = DEFAULT_NEXT) -> str:
    """``value`` when it is a relative path on this origin, else ``default``.

    Browsers read a backslash as a slash and drop tabs and newlines, so ``/\\evil.example`` and
    ``/\\t/evil.example`` are protocol-relative URLs in disguise: anything but plain printable
    ASCII is refused rather than normalised.
    """
    if not value or len(value) > 2000:
        return default
    if any(ord(ch) < 0x21 or ord(ch) > 0x7E or ch == "\\" for ch in value):
        return default
    if not value.startswith("/") or value.startswith("//"):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value
