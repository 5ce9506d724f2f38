"""Security headers on every answer, set once for the whole app so a new page cannot forget them."""

from __future__ import annotations

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


def security_headers(https: bool) -> tuple[dict[str, str], dict[str, str]]:
    """The headers of every answer, and those every HTML page adds: set by the app's WSGI layer
    (``shared.observability.observe``) on whatever answers, so a new page cannot forget them."""
    every = {
        # A JSON answer is never sniffed into a script or a page; the URL (state, codes) never
        # leaves in a Referer.
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if https:
        every["Strict-Transport-Security"] = HSTS
    return every, {"Content-Security-Policy": PAGE_POLICY, "X-Frame-Options": "DENY"}
