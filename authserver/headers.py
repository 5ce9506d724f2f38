"""Security headers on every answer, set once for the whole app so a new page cannot forget them."""

from __future__ import annotations

from flask import Flask
from flask import Response

# Pages load their style from our origin and run no script at all; nothing may be inlined, framed
# (RFC 9700 §4.16, clickjacking a consent) or used to rebase relative links. No form-action: a
# consent or sign-out form ends in a redirect to the client, which Chromium checks against it.
PAGE_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' https:",  # an app's logo (logo_uri) is on its own https site
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
# Two years, the preload list's minimum; sent only when the issuer is https (RFC 6797 §7.2).
HSTS = "max-age=63072000; includeSubDomains"


def init_security_headers(app: Flask, https: bool) -> None:
    constant = {
        # A JSON answer is never sniffed into a script or a page; the URL (state, codes) never
        # leaves in a Referer.
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if https:
        constant["Strict-Transport-Security"] = HSTS

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.update(constant)
        if response.mimetype == "text/html":
            headers["Content-Security-Policy"] = PAGE_POLICY
            headers["X-Frame-Options"] = "DENY"
        return response
