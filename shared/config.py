"""One typed configuration object, read once from the environment.

Every environment variable the product reads is listed here once, with its safe local default.
Production secrets have no default baked into code: the session key is generated into the
instance folder on first use, with mode 0600.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.resources import canonical_resource

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE_PATH = PROJECT_ROOT / "instance"


class ConfigError(ValueError):
    """A setting is present but unusable."""


@dataclass(frozen=True)
class Config:
    instance_path: Path
    database_url: str
    issuer: str
    secret_key: str
    redis_url: str | None
    resource_issuer: str
    resource_client_id: str | None
    resource_client_secret: str | None
    resource_cache_ttl: int
    resource_negative_cache_ttl: int = 2
    # Introspect JWT access tokens too, though their signature is checked locally: a revoked one is then
    # refused once its cached answer expires, rather than when the revocation reaches us or it expires.
    resource_jwt_introspect: bool = False
    introspection_timeout: float = 3.0
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 30 * 24 * 3600
    authorization_code_ttl: int = 60
    id_token_ttl: int = 3600
    # Admin changes (a client disabled, a scope removed) must reach every running process
    # within one second, so per-process lookups are cached no longer than this.
    lookup_cache_ttl: float = 1.0
    chat_backend: str = "demo"
    embeddings_backend: str = "auto"
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    upstream_timeout: float = 30.0
    # Each call to an upstream identity provider; a person is waiting on the other end.
    federation_timeout: float = 10.0
    rate_limit_per_minute: int = 600
    tokens_per_day: int = 1_000_000
    # JSON object of per-client limits, parsed and checked by resource/limits.py.
    resource_limits: str | None = None
    usage_flush_interval: float = 1.0
    # RFC 7591 registration without an initial access token (public clients only), and how many
    # such registrations one address may make an hour.
    open_registration: bool = False
    open_registrations_per_hour: int = 20
    # Hosts whose client ID metadata documents may be fetched although they resolve to private,
    # loopback or link-local addresses (and, for them only, over plain http).
    cimd_allow_hosts: frozenset[str] = frozenset()
    # Each fetch of a client ID metadata document: an authorization request waits on it.
    cimd_fetch_timeout: float = 3.0
    # Accept per-process rate limits without Redis (resource/workers.py), instead of one process.
    local_limits: bool = False
    # RFC 8707: the resource server's own identifier (None: its base URL, set by ``serve resource``
    # or the dev default), and the audience of a token whose request names no resource (None: no
    # audience, which every resource server accepts).
    resource_url: str | None = None
    default_resource: str | None = None
    # RFC 9126 §5: every authorization request must be pushed to the PAR endpoint first.
    require_par: bool = False
    # Bearer secrets for /metrics (shared/metrics.py); unset, /metrics is open (bind it to a private network).
    authserver_metrics_token: str | None = None
    resource_metrics_token: str | None = None
    # Reverse proxies in front of each app whose X-Forwarded-* headers are believed (shared/proxies.py).
    trusted_proxies: int = 0
    resource_trusted_proxies: int = 0
    # Earlier values of secret_key, newest first: what they signed or sealed is still accepted.
    old_secret_keys: tuple[str, ...] = ()
    testing: bool = False

    @property
    def session_cookie_secure(self) -> bool:
        return self.issuer.startswith("https://")

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        instance_path: Path | None = None,
        **overrides: object,
    ) -> Config:
        env = os.environ if environ is None else environ
        instance = Path(instance_path or env.get("AUTHSERVER_INSTANCE_PATH") or DEFAULT_INSTANCE_PATH)
        issuer = env.get("AUTHSERVER_ISSUER", "http://127.0.0.1:5000").rstrip("/")
        values: dict[str, object] = dict(
            instance_path=instance,
            database_url=env.get("AUTHSERVER_DATABASE_URL") or f"sqlite:///{instance / 'authserver.sqlite3'}",
            issuer=issuer,
            secret_key=env.get("AUTHSERVER_SECRET_KEY") or "",
            redis_url=env.get("REDIS_URL") or None,
            resource_issuer=env.get("RESOURCE_ISSUER", issuer).rstrip("/"),
            resource_client_id=env.get("RESOURCE_CLIENT_ID") or None,
            resource_client_secret=env.get("RESOURCE_CLIENT_SECRET") or None,
            resource_cache_ttl=_int(env, "RESOURCE_CACHE_TTL", 60),
            resource_jwt_introspect=_bool(env, "RESOURCE_JWT_INTROSPECT"),
            access_token_ttl=_int(env, "AUTHSERVER_ACCESS_TOKEN_TTL", 3600),
            refresh_token_ttl=_int(env, "AUTHSERVER_REFRESH_TOKEN_TTL", 30 * 24 * 3600),
            chat_backend=env.get("RESOURCE_CHAT_BACKEND", "demo"),
            embeddings_backend=env.get("RESOURCE_EMBEDDINGS_BACKEND", "auto"),
            openai_base_url=env.get("RESOURCE_OPENAI_BASE_URL") or None,
            openai_api_key=env.get("RESOURCE_OPENAI_API_KEY") or None,
            rate_limit_per_minute=_int(env, "RESOURCE_RATE_LIMIT_PER_MINUTE", 600),
            tokens_per_day=_int(env, "RESOURCE_TOKENS_PER_DAY", 1_000_000),
            resource_limits=env.get("RESOURCE_LIMITS") or None,
            introspection_timeout=_float(env, "RESOURCE_INTROSPECTION_TIMEOUT", 3.0),
            upstream_timeout=_float(env, "RESOURCE_UPSTREAM_TIMEOUT", 30.0),
            federation_timeout=_float(env, "AUTHSERVER_FEDERATION_TIMEOUT", 10.0),
            usage_flush_interval=_float(env, "RESOURCE_USAGE_FLUSH_INTERVAL", 1.0),
            open_registration=_bool(env, "AUTHSERVER_OPEN_REGISTRATION"),
            cimd_allow_hosts=_hosts(env, "AUTHSERVER_CIMD_ALLOW_HOSTS"),
            local_limits=_bool(env, "RESOURCE_LOCAL_LIMITS"),
            resource_url=_resource(env, "RESOURCE_URL"),
            default_resource=_resource(env, "AUTHSERVER_DEFAULT_RESOURCE"),
            require_par=_bool(env, "AUTHSERVER_REQUIRE_PAR"),
            authserver_metrics_token=env.get("AUTHSERVER_METRICS_TOKEN") or None,
            resource_metrics_token=env.get("RESOURCE_METRICS_TOKEN") or None,
            trusted_proxies=_int(env, "AUTHSERVER_TRUSTED_PROXIES", 0),
            old_secret_keys=tuple(
                key.strip() for key in env.get("AUTHSERVER_OLD_SECRET_KEYS", "").split(",") if key.strip()
            ),
            resource_trusted_proxies=_int(env, "RESOURCE_TRUSTED_PROXIES", 0),
        )
        values.update(overrides)
        config = cls(**values)  # type: ignore[arg-type]
        if not config.secret_key:
            config = dataclasses.replace(config, secret_key=load_or_create_secret(config.instance_path))
        return config

    def replace(self, **changes: object) -> Config:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def _parse(env: Mapping[str, str], name: str, default, kind, what: str):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be {what}, not {raw!r}") from None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _parse(env, name, default, int, "a whole number")
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _parse(env, name, default, float, "a number of seconds")
    if not value > 0:
        raise ConfigError(f"{name} must be positive")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be 1 or 0, not {raw!r}")


def _hosts(env: Mapping[str, str], name: str) -> frozenset[str]:
    """Comma-separated host names, compared as URLs carry them (lower case, IPv6 without brackets)."""
    return frozenset(host.strip().lower().strip("[]") for host in (env.get(name) or "").split(",") if host.strip())


def _resource(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    if not raw:
        return None
    value = canonical_resource(raw)
    if value is None:
        raise ConfigError(f"{name} must be an http(s) URL without a fragment, not {raw!r}")
    return value


def load_or_create_secret(instance_path: Path) -> str:
    """The session signing key kept in ``instance/secret_key`` (mode 0600), made on first use."""
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def resolve(config: Config | Mapping[str, object] | None) -> Config:
    """What ``create_app(config)`` accepts: a Config, overrides of the environment's, or nothing."""
    if isinstance(config, Config):
        return config
    return Config.from_env(**dict(config or {}))
