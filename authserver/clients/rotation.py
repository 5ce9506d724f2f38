"""Client secrets: rotation, with a grace period in which the replaced secret still authenticates.

A developer rotating a secret has deployments still holding the old one; keeping it valid for a
while they choose (none, an hour, a day, a week) lets them roll the new one out without an outage.
Only digests are stored, the old one with the moment it stops counting.
"""

from __future__ import annotations

from datetime import timedelta

from authserver.audit.services import record
from authserver.clients.metadata import SECRET_AUTH_METHODS
from authserver.clients.models import Client
from authserver.clients.services import Registration
from authserver.db import utcnow
from authserver.errors import InvalidInput
from authserver.extensions import db_session
from shared.security import digest
from shared.security import matches_digest
from shared.security import new_credential

# The grace periods a developer may choose, by the name the portal's form sends.
GRACE_PERIODS = {
    "none": timedelta(0),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
}


def rotate_secret(client: Client, grace: timedelta = timedelta(0)) -> Registration:
    """Give ``client`` a new secret (returned once); the old one authenticates for ``grace`` more.

    Without grace, the old secret stops at once, and so does any older one still in its grace period.
    """
    if client.token_endpoint_auth_method not in SECRET_AUTH_METHODS:
        raise InvalidInput(
            f"client {client.client_id!r} authenticates without a secret ({client.token_endpoint_auth_method})"
        )
    if grace < timedelta(0) or grace > max(GRACE_PERIODS.values()):
        raise InvalidInput("the grace period must be between none and 7 days")
    now = utcnow()
    secret = new_credential()
    if grace:
        client.previous_secret_digest = client.client_secret_digest
        client.previous_secret_expires_at = now + grace
    else:
        client.previous_secret_digest = client.previous_secret_expires_at = None
    client.client_secret_digest = digest(secret)
    client.secret_rotated_at = now
    record("client.secret_rotated", client_id=client.client_id, grace_seconds=int(grace.total_seconds()))
    db_session().commit()
    return Registration(client=client, client_secret=secret)


def secret_matches(client, secret: str | None) -> bool:
    """``secret`` is ``client``'s current one, or the one it replaced while its grace period lasts.

    ``client``: a client row, or anything with its three secret columns (the protocol's snapshot).
    Compared in constant time.
    """
    if matches_digest(secret, client.client_secret_digest):
        return True
    expires_at = client.previous_secret_expires_at
    return expires_at is not None and expires_at > utcnow() and matches_digest(secret, client.previous_secret_digest)
