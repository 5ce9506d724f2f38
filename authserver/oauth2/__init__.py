"""THE protocol glue: the only package that imports Authlib's server side."""

from __future__ import annotations

from flask import Flask


def init_oauth2(app: Flask) -> None:
    """Register every grant and endpoint on the app (filled in by the OAuth2 core)."""
