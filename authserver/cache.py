"""Per-app caches of what may be fetched or computed again (Redis when REDIS_URL is set, else
bounded process memory): client ID metadata documents, say. Never security state, which an
eviction would forget: throttles, ended sessions and replay caches live in authserver/state."""

from __future__ import annotations

from flask import current_app

from authserver.extensions import get_config
from shared.cache import make_cache


def app_cache(purpose: str):
    """One cache per app and purpose, made on first use; keys are prefixed by the purpose."""
    name = f"authserver.cache.{purpose}"
    cache = current_app.extensions.get(name)
    if cache is None:
        cache = make_cache(get_config().redis_url, f"authserver:{purpose}:")
        current_app.extensions[name] = cache
    return cache
