"""Everything a resource-server app holds for its lifetime, built once by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass

import requests

from resource.admin_limits import AdminLimits
from resource.backends import ChatBackend
from resource.backends import EmbeddingsBackend
from resource.backends import build_backends
from resource.dpop import ProofChecker
from resource.http import pooled_session
from resource.introspection import Introspector
from resource.limits import Limiter
from resource.metering import Meter
from resource.paths import METADATA_PATH
from resource.revocation_feed import RevocationFeed
from resource.revocations import Revocations
from shared.cache import MemoryCounters
from shared.cache import make_cache
from shared.config import Config

CACHE_PREFIX = "resource:"
# RESOURCE_URL when unset: where ``make run`` serves the resource server (``serve resource`` sets
# the address it listens on instead).
DEFAULT_RESOURCE_URL = "http://127.0.0.1:5001"


@dataclass
class ResourceState:
    config: Config
    cache: object
    http: requests.Session
    introspector: Introspector
    # What the authorization server revoked: ``revocations.check`` after every token validation.
    revocations: Revocations
    feed: RevocationFeed
    limiter: Limiter
    meter: Meter
    chat: ChatBackend
    embeddings: EmbeddingsBackend
    # RFC 8707 / RFC 9728: this server's resource identifier, and where its metadata document is.
    resource_url: str
    metadata_url: str
    dpop: ProofChecker

    @classmethod
    def build(cls, cfg: Config) -> ResourceState:
        cache = make_cache(cfg.redis_url, CACHE_PREFIX)
        http = pooled_session()
        chat, embeddings = build_backends(cfg, http)
        resource_url = cfg.resource_url or DEFAULT_RESOURCE_URL
        # Without Redis, the limits' counters in a store of their own that never evicts a live one: in the
        # introspection cache, a flood of unknown tokens would clear them with everything else.
        counters = cache if cfg.redis_url else MemoryCounters()
        limiter = Limiter(cfg, counters, AdminLimits(cfg))
        revocations = Revocations()
        return cls(
            cfg,
            cache,
            http,
            Introspector(cfg, cache, revocations),
            revocations,
            RevocationFeed(cfg, revocations),
            limiter,
            Meter(cfg),
            chat,
            embeddings,
            resource_url,
            resource_url + METADATA_PATH,
            ProofChecker(cache, cfg.redis_url, resource_url),
        )

    def readiness_checks(self) -> dict:
        checks = {"authorization_server": self.introspector.ready}
        if self.config.redis_url:
            checks["redis"] = self.cache.ping
        return checks

    def close(self) -> None:
        self.meter.close()
        self.limiter.close()
        self.feed.close()
        self.introspector.close()
        self.http.close()
