"""Security headers on every answer; no template may inline a style or a script (the CSP forbids both)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from authserver import create_app
from authserver.headers import PAGE_POLICY

TEMPLATES = Path(__file__).resolve().parents[2] / "authserver" / "templates"
INLINE = re.compile(r"<style|\sstyle=|<script(?![^>]*\ssrc=)|\son[a-z]+=|javascript:", re.IGNORECASE)


def test_no_template_inlines_a_style_or_a_script():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert templates
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in templates
        for match in INLINE.finditer(path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize("issuer, hsts", [("http://127.0.0.1:5000", False), ("https://auth.example", True)])
def test_pages_and_json_answers_carry_the_headers(config, issuer, hsts):
    app = create_app(config.replace(issuer=issuer))
    try:
        client = app.test_client()
        page = client.get("/login", base_url=issuer)
        metadata = client.get("/.well-known/oauth-authorization-server", base_url=issuer)
        for response in (page, metadata):
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Referrer-Policy"] == "no-referrer"
            assert ("Strict-Transport-Security" in response.headers) is hsts
        assert page.headers["Content-Security-Policy"] == PAGE_POLICY
        assert "frame-ancestors 'none'" in PAGE_POLICY and "'unsafe-inline'" not in PAGE_POLICY
        assert page.headers["X-Frame-Options"] == "DENY"
        assert "Content-Security-Policy" not in metadata.headers
    finally:
        app.extensions["authserver.db"].dispose()
