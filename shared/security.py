"""Random credentials, their digests, and encryption of the few secrets we must read back.

Client secrets and tokens are 256-bit values this server generated, so a SHA-256 digest compared
in constant time is as safe as a password hash and a million times cheaper; argon2 is kept for
the passwords people choose.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CREDENTIAL_BYTES = 32


def new_credential() -> str:
    """A 256-bit random value (see ``new_identifier``)."""
    return new_identifier(CREDENTIAL_BYTES)


def new_identifier(nbytes: int = 18) -> str:
    """A random URL-safe value that never begins with '-' (safe as a CLI argument)."""
    while True:
        value = secrets.token_urlsafe(nbytes)
        if not value.startswith("-"):
            return value


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def matches_digest(value: str | None, expected_digest: str | None) -> bool:
    if not value or not expected_digest:
        return False
    return hmac.compare_digest(digest(value), expected_digest)


class SecretBox:
    """AES-256-GCM under a key derived from the server's secret key (HKDF, per purpose).

    Seals under the current key; opens what the current key or any older one sealed, so a key can be
    rotated without an outage and everything re-sealed at leisure (``manage.py keys reseal``).
    """

    def __init__(self, secret_key: str, purpose: str, old_keys: Sequence[str] = ()):
        self._aeads = [AESGCM(_derive(key, purpose)) for key in (secret_key, *old_keys)]

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aeads[0].encrypt(nonce, plaintext.encode("utf-8"), None)
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, token: str) -> str:
        """The plaintext; InvalidTag when no key we hold sealed it (or it was tampered with)."""
        return self.open_with_age(token)[0]

    def open_with_age(self, token: str) -> tuple[str, int]:
        """The plaintext and which key opened it: 0 the current one, 1 the newest old one, and so on."""
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
        for age, aead in enumerate(self._aeads):
            try:
                return aead.decrypt(raw[:12], raw[12:], None).decode("utf-8"), age
            except InvalidTag:
                continue
        raise InvalidTag()

    def reseal(self, token: str) -> str | None:
        """``token`` sealed under the current key when an old key opened it; None when it already was."""
        plaintext, age = self.open_with_age(token)
        return self.seal(plaintext) if age else None

    def reseal_all(self, rows: Iterable, attribute: str) -> tuple[int, int]:
        """Reseal ``row.<attribute>`` of each row under the current key; (how many changed, how many
        do not open). The caller commits."""
        resealed = unreadable = 0
        for row in rows:
            try:
                sealed = self.reseal(getattr(row, attribute))
            except (InvalidTag, ValueError):
                unreadable += 1
                continue
            if sealed is not None:
                setattr(row, attribute, sealed)
                resealed += 1
        return resealed, unreadable


def _derive(secret_key: str, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode("utf-8")).derive(
        secret_key.encode("utf-8")
    )
