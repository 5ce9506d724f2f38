"""Apps created, updated and deleted from checked metadata; secrets rotated with a grace period."""

from __future__ import annotations

from datetime import timedelta

import pytest

from authserver.clients import services
from authserver.clients.metadata import MAX_APPS_PER_OWNER
from authserver.clients.metadata import MetadataError
from authserver.clients.metadata import validate_client_metadata
from authserver.clients.rotation import rotate_secret
from authserver.db import utcnow
from authserver.extensions import db_session
from tests.support.clients import client_credentials
from tests.support.clients import eventually
from tests.support.oauth import introspect

SERVICE = {"client_name": "Partner", "app_type": "service"}


def create(live_auth, values: dict = SERVICE, owner_id: int | None = None):
    def run():
        registration = services.create_client(
            validate_client_metadata(values), registered_via="portal", owner_id=owner_id
        )
        return registration.client.client_id, registration.client_secret

    return live_auth.run(run)


def test_rotation_without_grace_retires_the_old_secret_at_once(live_auth):
    client_id, old = create(live_auth)
    assert client_credentials(live_auth, client_id, old).status_code == 200
    new = live_auth.run(lambda: rotate_secret(services.get_client(client_id)).client_secret)
    assert eventually(lambda: client_credentials(live_auth, client_id, old).status_code == 401)
    assert client_credentials(live_auth, client_id, new).status_code == 200


def test_rotation_with_grace_keeps_the_old_secret_until_the_grace_ends(live_auth):
    client_id, old = create(live_auth)
    new = live_auth.run(lambda: rotate_secret(services.get_client(client_id), timedelta(hours=1)).client_secret)
    assert eventually(lambda: client_credentials(live_auth, client_id, new).status_code == 200)
    assert client_credentials(live_auth, client_id, old).status_code == 200

    def end_grace():
        client = services.get_client(client_id)
        client.previous_secret_expires_at = utcnow() - timedelta(seconds=1)
        db_session().commit()

    live_auth.run(end_grace)
    assert eventually(lambda: client_credentials(live_auth, client_id, old).status_code == 401)
    assert client_credentials(live_auth, client_id, new).status_code == 200


def test_a_second_rotation_without_grace_also_ends_the_first_ones_grace(live_auth):
    client_id, first = create(live_auth)
    live_auth.run(lambda: rotate_secret(services.get_client(client_id), timedelta(days=7)))
    third = live_auth.run(lambda: rotate_secret(services.get_client(client_id)).client_secret)
    assert eventually(lambda: client_credentials(live_auth, client_id, first).status_code == 401)
    assert client_credentials(live_auth, client_id, third).status_code == 200


def test_deleting_an_app_revokes_its_tokens_at_once(live_auth):
    resource_server = live_auth.client(redirect_uri=None, resource_server=True)
    client_id, secret = create(live_auth)
    token = client_credentials(live_auth, client_id, secret).json()["access_token"]
    assert introspect(live_auth, resource_server, token).json()["active"] is True
    revoked = live_auth.run(lambda: services.delete_client(services.get_client(client_id)))
    assert revoked == 1
    assert introspect(live_auth, resource_server, token).json() == {"active": False}

    def state():
        row = services.get_client(client_id)
        return row.disabled, row.deleted_at is not None

    assert live_auth.run(state) == (True, True)  # kept for the audit trail and `clients list`


def test_update_replaces_metadata_and_gives_a_secret_only_when_newly_needed(live_auth):
    client_id, _ = create(
        live_auth, {"client_name": "SPA", "app_type": "spa", "redirect_uris": ["https://a.example/cb"]}
    )

    def update(values):
        registration = services.update_client(services.get_client(client_id), validate_client_metadata(values))
        return registration.client.name, registration.client.redirect_uris, registration.client_secret

    name, uris, secret = live_auth.run(
        update, {"client_name": "SPA 2", "app_type": "spa", "redirect_uris": ["https://b.example/cb"]}
    )
    assert (name, uris, secret) == ("SPA 2", ["https://b.example/cb"], None)
    _, _, secret = live_auth.run(
        update, {"client_name": "Web", "app_type": "web", "redirect_uris": ["https://b.example/cb"]}
    )
    assert secret


def test_a_developer_owns_at_most_twenty_apps_and_only_sees_their_own(live_auth):
    owner = live_auth.user()
    other = live_auth.user()
    ids = [create(live_auth, owner_id=owner.id)[0] for _ in range(MAX_APPS_PER_OWNER)]
    with pytest.raises(MetadataError) as caught:
        create(live_auth, owner_id=owner.id)
    assert "20 apps" in caught.value.errors["app"]
    assert live_auth.run(lambda: [c.client_id for c in services.list_clients(owner.id)]) == ids
    live_auth.run(lambda: services.owned_client(owner.id, ids[0]))
    with pytest.raises(services.NotFound):
        live_auth.run(lambda: services.owned_client(other.id, ids[0]))
    live_auth.run(lambda: services.delete_client(services.get_client(ids[0])))
    with pytest.raises(services.NotFound):
        live_auth.run(lambda: services.owned_client(owner.id, ids[0]))
    create(live_auth, owner_id=owner.id)  # a deleted app frees its place
