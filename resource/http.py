"""One pooled, kept-alive HTTP session per app, shared by every request thread.

``requests.Session`` is safe to share between threads for plain request calls (the connection pool
is thread-safe). The pool keeps up to ``POOL_SIZE`` idle connections per host: enough for a gunicorn
gthread worker's threads (``--threads`` up to 32) to reuse connections to the authorization server
instead of paying a TCP handshake per introspection. Past that, extra connections open and close.
"""

from __future__ import annotations

from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

POOL_SIZE = 32


def pooled_session() -> requests.Session:
    session = requests.Session()
    # Never read proxies or .netrc credentials from the environment for calls to our own servers.
    session.trust_env = False
    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=POOL_SIZE, max_retries=0, pool_block=False)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "ai-authserver-resource/0.1"
    return session


def basic_credentials(cfg) -> tuple[str, str]:
    """The resource server's client_secret_basic credentials, form-encoded first (RFC 6749 §2.3.1)."""
    return quote(cfg.resource_client_id or "", safe=""), quote(cfg.resource_client_secret or "", safe="")
