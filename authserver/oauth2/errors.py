"""Helpers for the protocol's error answers."""

from __future__ import annotations

from authlib.oauth2.base import invalid_error_characters


def printable(description: str) -> str:
    """RFC 6749 §5.2 allows only some ASCII in error_description (no quote, no backslash); a
    description quoting the caller's input may hold anything else, each shown as '?'."""
    bad = set(invalid_error_characters(description))
    return "".join("?" if char in bad else char for char in description)
