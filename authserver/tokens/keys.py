"""The server's signing keys (id_tokens, JWT access tokens), kept in the database with the private half sealed.

One key is active (the newest not retired); retired keys sign nothing new but stay in the JWKS
until every id_token and JWT access token they signed has expired, so relying parties can still verify them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from cryptography.exceptions import InvalidTag
from flask import current_app
from joserfc.jwk import ECKey
from joserfc.jwk import RSAKey
from joserfc.jwk import import_key
from sqlalchemy import or_
from sqlalchemy import select

from authserver.audit.services import record
from authserver.db import utcnow
from authserver.errors import InvalidInput
from authserver.extensions import db_session
from authserver.extensions import get_config
from authserver.extensions import secret_box
from authserver.tokens.models import SigningKey
from shared.jose import JWS_ALGORITHMS  # noqa: F401  the one list, kept importable from here
from shared.security import SecretBox

# Those this server generates keys for and signs with.
log = logging.getLogger(__name__)
ALGORITHMS = ("RS256", "ES256")
DEFAULT_ALGORITHM = "RS256"
_SEAL_PURPOSE = "signing-keys"
# Clocks of relying parties drift; keep a retired key published a little past the last expiry.
PUBLISH_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class ActiveKey:
    kid: str
    alg: str
    key: RSAKey | ECKey


def _generate(alg: str) -> RSAKey | ECKey:
    if alg == "RS256":
        key = RSAKey.generate_key(2048, parameters={"alg": alg, "use": "sig"})
    elif alg == "ES256":
        key = ECKey.generate_key("P-256", parameters={"alg": alg, "use": "sig"}, private=True)
    else:
        raise InvalidInput(f"unsupported signing algorithm {alg!r}: choose from {', '.join(ALGORITHMS)}")
    key.ensure_kid()
    return key


def _box() -> SecretBox:
    return secret_box(_SEAL_PURPOSE)


def add_key(alg: str = DEFAULT_ALGORITHM) -> SigningKey:
    """Add a new active key and retire every other one, each published while its tokens live."""
    key = _generate(alg)
    now = utcnow()
    # What a retired key signed lives as long as the longest of id_tokens and JWT access tokens.
    config = get_config()
    publish_until = now + timedelta(seconds=max(config.id_token_ttl, config.access_token_ttl)) + PUBLISH_MARGIN
    session = db_session()
    for old in session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        old.retired_at = now
        old.publish_until = publish_until
    row = SigningKey(
        kid=key.kid,
        alg=alg,
        private_jwk_sealed=_box().seal(json.dumps(key.as_dict(private=True))),
        public_jwk=key.as_dict(private=False),
        created_at=now,
    )
    session.add(row)
    record("signing_key.added", kid=key.kid, alg=alg)
    session.commit()
    _cache().clear()
    return row


def list_keys() -> list[SigningKey]:
    return list(db_session().scalars(select(SigningKey).order_by(SigningKey.id)))


def _published_rows() -> list[SigningKey]:
    now = utcnow()
    return list(
        db_session().scalars(
            select(SigningKey)
            .where(or_(SigningKey.retired_at.is_(None), SigningKey.publish_until > now))
            .order_by(SigningKey.id.desc())
        )
    )


class _KeyCache:
    """Per-app, per-process: a rotation elsewhere is seen within ``lookup_cache_ttl``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: dict[str, tuple[float, object]] = {}
        # Private keys parsed, by kid (a thumbprint: one kid, one key). Parsing an RSA key checks it
        # and takes ~150 ms: done once per key, not at every reload of the active key's row.
        self.parsed: dict[str, RSAKey | ECKey] = {}

    def get(self, name: str, load, ttl: float):
        entry = self.values.get(name)
        if entry and entry[0] > time.monotonic():
            return entry[1]
        with self.lock:
            value = load()
            self.values[name] = (time.monotonic() + ttl, value)
            return value

    def clear(self) -> None:
        self.values.clear()


def _cache() -> _KeyCache:
    return current_app.extensions.setdefault("authserver.signing_keys", _KeyCache())


def _load_active() -> ActiveKey:
    row = db_session().scalar(
        select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.id.desc()).limit(1)
    )
    if row is None:
        # Made on first need, so a fresh install signs without a manual step.
        row = add_key(DEFAULT_ALGORITHM)
    if (private := _cache().parsed.get(row.kid)) is not None:
        return ActiveKey(kid=row.kid, alg=row.alg, key=private)
    try:
        private = import_key(json.loads(_box().open(row.private_jwk_sealed)))
    except (InvalidTag, ValueError):
        # Sealed under a secret key this server no longer holds (AUTHSERVER_SECRET_KEY changed without
        # the old one in AUTHSERVER_OLD_SECRET_KEYS). Signing must go on: retire it for a new key; its
        # public half stays published, so id_tokens it signed still verify.
        log.error(
            "signing key %s does not open under AUTHSERVER_SECRET_KEY or AUTHSERVER_OLD_SECRET_KEYS; "
            "replacing it with a new key",
            row.kid,
        )
        record("signing_key.unreadable", kid=row.kid)
        row = add_key(row.alg)
        private = import_key(json.loads(_box().open(row.private_jwk_sealed)))
    _cache().parsed[row.kid] = private
    return ActiveKey(kid=row.kid, alg=row.alg, key=private)


def reseal_keys() -> tuple[int, int]:
    """Seal every private key under the current secret key; (how many changed, how many do not open).
    The caller commits."""
    counts = _box().reseal_all(list_keys(), "private_jwk_sealed")
    _cache().clear()
    return counts


def active_key() -> ActiveKey:
    return _cache().get("active", _load_active, get_config().lookup_cache_ttl)


def public_jwks() -> dict:
    def load() -> dict:
        if not _published_rows():
            add_key(DEFAULT_ALGORITHM)
        return {"keys": [row.public_jwk | {"kid": row.kid} for row in _published_rows()]}

    return _cache().get("jwks", load, get_config().lookup_cache_ttl)


def key_as_dict(row: SigningKey) -> dict:
    now = utcnow()
    published = row.retired_at is None or (row.publish_until is not None and row.publish_until > now)
    return {
        "kid": row.kid,
        "alg": row.alg,
        "active": row.retired_at is None,
        "published": published,
        "created_at": row.created_at.isoformat(),
        "retired_at": row.retired_at.isoformat() if row.retired_at else None,
        "publish_until": row.publish_until.isoformat() if row.publish_until else None,
    }
