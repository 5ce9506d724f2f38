"""Upstream providers as data: added, listed, disabled and removed by the admin CLI.

Client secrets are sealed with AES-GCM under a key derived from AUTHSERVER_SECRET_KEY: unlike our
own clients' secrets they must be read back to authenticate to the upstream, so a digest would not
do. After AUTHSERVER_SECRET_KEY is rotated they still open while the old key is listed in
AUTHSERVER_OLD_SECRET_KEYS, and ``manage.py keys reseal`` seals them under the new one.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from sqlalchemy import func
from sqlalchemy import select

from authserver.audit.services import record
from authserver.errors import InvalidInput
from authserver.errors import NotFound
from authserver.extensions import db_session
from authserver.extensions import get_config
from authserver.extensions import secret_box
from authserver.federation._core import ProviderSettings
from authserver.federation._core import UpstreamFailure
from authserver.federation.models import UpstreamIdentity
from authserver.federation.models import UpstreamProvider
from authserver.federation.providers import TYPES
from authserver.paths import UPSTREAM_CALLBACK_PATH
from shared.security import SecretBox

log = logging.getLogger(__name__)
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Paths under /login/ that are pages of their own, not providers.
RESERVED_NAMES = ("link",)
SECRET_PURPOSE = "upstream-secrets"


def _box() -> SecretBox:
    return secret_box(SECRET_PURPOSE)


def check_url(option: str, url: str | None) -> str | None:
    """https, or http on a loopback address (a local or test upstream); never a fragment."""
    if url is None:
        return None
    parts = urlsplit(url.strip())
    try:
        host = parts.hostname
        parts.port
    except ValueError:
        raise InvalidInput(f"{option} is not a valid URL: {url!r}") from None
    secure = parts.scheme == "https" and host
    loopback = parts.scheme == "http" and host in ("127.0.0.1", "::1")
    if not (secure or loopback):
        raise InvalidInput(f"{option} must be an https URL (http only on 127.0.0.1 or [::1]), not {url!r}")
    if parts.fragment or "@" in parts.netloc:
        raise InvalidInput(f"{option} must not have a fragment or user info: {url!r}")
    return url.strip()


def add_provider(
    *,
    name: str,
    type_: str,
    client_id: str,
    client_secret: str,
    issuer: str | None = None,
    authorize_url: str | None = None,
    token_url: str | None = None,
    userinfo_url: str | None = None,
) -> UpstreamProvider:
    if not NAME.fullmatch(name or "") or name in RESERVED_NAMES:
        raise InvalidInput(f"invalid name {name!r}: use 1-64 lowercase letters, digits, '-' or '_' (not 'link')")
    kind = TYPES.get(type_)
    if kind is None:
        raise InvalidInput(f"unknown type {type_!r}: choose from {', '.join(TYPES)}")
    client_id = (client_id or "").strip()
    if not client_id or len(client_id) > 255:
        raise InvalidInput("--client-id must be 1 to 255 characters")
    if not client_secret:
        raise InvalidInput("the client secret is empty")
    issuer = check_url("--issuer", issuer)
    if issuer and urlsplit(issuer).query:
        raise InvalidInput(f"--issuer must not have a query: {issuer!r}")
    urls = {
        "authorize_url": check_url("--authorize-url", authorize_url),
        "token_url": check_url("--token-url", token_url),
        "userinfo_url": check_url("--userinfo-url", userinfo_url),
    }
    kind.check_settings(issuer, urls)
    session = db_session()
    if session.scalar(select(UpstreamProvider.id).where(UpstreamProvider.name == name)) is not None:
        raise InvalidInput(f"an upstream named {name!r} already exists")
    provider = UpstreamProvider(
        name=name,
        type=type_,
        client_id=client_id,
        client_secret_sealed=_box().seal(client_secret),
        issuer=issuer.rstrip("/") if issuer else None,
        **urls,
    )
    session.add(provider)
    session.flush()
    record("upstream.added", name=name, type=type_)
    session.commit()
    return provider


def list_providers(enabled_only: bool = False) -> list[UpstreamProvider]:
    query = select(UpstreamProvider).order_by(UpstreamProvider.name)
    if enabled_only:
        query = query.where(UpstreamProvider.disabled.is_(False))
    return list(db_session().scalars(query))


def get_provider(name: str, enabled_only: bool = True) -> UpstreamProvider | None:
    if not NAME.fullmatch(name):
        return None  # never stored; and PostgreSQL refuses a NUL from the URL with an error, not "no row"
    provider = db_session().scalar(select(UpstreamProvider).where(UpstreamProvider.name == name))
    if provider is None or (enabled_only and provider.disabled):
        return None
    return provider


def _existing(name: str) -> UpstreamProvider:
    provider = get_provider(name, enabled_only=False)
    if provider is None:
        raise NotFound(f"no upstream named {name!r}")
    return provider


def set_disabled(name: str, disabled: bool) -> UpstreamProvider:
    provider = _existing(name)
    provider.disabled = disabled
    record("upstream.disabled" if disabled else "upstream.enabled", name=name)
    db_session().commit()
    return provider


def remove_provider(name: str) -> int:
    """Remove the provider and every identity linked through it; returns how many identities went."""
    provider = _existing(name)
    session = db_session()
    linked = session.scalar(select(func.count()).where(UpstreamIdentity.provider_id == provider.id)) or 0
    session.delete(provider)
    record("upstream.removed", name=name, identities=linked)
    session.commit()
    return linked


def open_secret(provider: UpstreamProvider) -> str | None:
    """The client secret, or None when it was sealed under a secret key the server no longer holds."""
    try:
        return _box().open(provider.client_secret_sealed)
    except (InvalidTag, ValueError):
        return None


def reseal_secrets() -> tuple[int, int]:
    """Seal every upstream's secret under the current secret key; (how many changed, how many do not
    open). The caller commits."""
    return _box().reseal_all(db_session().scalars(select(UpstreamProvider)), "client_secret_sealed")


def settings_for(provider: UpstreamProvider) -> ProviderSettings:
    secret = open_secret(provider)
    if secret is None:
        log.error(
            "upstream %s: client secret does not open under AUTHSERVER_SECRET_KEY or "
            "AUTHSERVER_OLD_SECRET_KEYS; list the old key, or remove and add the upstream again",
            provider.name,
        )
        raise UpstreamFailure("misconfigured", "client secret does not open")
    return ProviderSettings(
        name=provider.name,
        type=provider.type,
        client_id=provider.client_id,
        client_secret=secret,
        issuer=provider.issuer,
        authorize_url=provider.authorize_url,
        token_url=provider.token_url,
        userinfo_url=provider.userinfo_url,
    )


def display_name(provider: UpstreamProvider) -> str:
    return TYPES[provider.type].label(provider.name)


def redirect_uri(name: str) -> str:
    return get_config().issuer + UPSTREAM_CALLBACK_PATH.replace("<name>", name)


def provider_as_dict(provider: UpstreamProvider) -> dict:
    return {
        "name": provider.name,
        "type": provider.type,
        "display_name": display_name(provider),
        "client_id": provider.client_id,
        "issuer": provider.issuer,
        "authorize_url": provider.authorize_url,
        "token_url": provider.token_url,
        "userinfo_url": provider.userinfo_url,
        "redirect_uri": redirect_uri(provider.name),
        "disabled": provider.disabled,
        # False when sealed under a key no longer held: list it in AUTHSERVER_OLD_SECRET_KEYS, or
        # remove and add the upstream again.
        "secret_ok": open_secret(provider) is not None,
        "created_at": provider.created_at.isoformat(),
    }
