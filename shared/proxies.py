"""Behind reverse proxies: whose address, scheme and host a request really has."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def trust_proxies(app: Flask, hops: int) -> None:
    """Believe the last ``hops`` entries of X-Forwarded-For/-Proto/-Host, which our own proxies
    appended; anything a client wrote before them is ignored. With 0 (the default) none are believed,
    so a client talking to us directly cannot choose the address the sign-in throttle, the rate
    limits and the audit trail see."""
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
