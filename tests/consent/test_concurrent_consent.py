"""Two first-time Allows for the same user and client at once (two tabs) both succeed."""

from __future__ import annotations

import threading

from authserver.accounts.services import add_user
from authserver.clients.services import register_client
from authserver.consent import services as consent

RACES = 12


def test_concurrent_first_consents_merge_into_one_row(auth_app):
    with auth_app.app_context():
        client_pk = register_client(name="Web", redirect_uris=["https://app.example/cb"]).client.id
        user_ids = [add_user(f"u{n}@example.com", None).id for n in range(RACES)]
    errors: list[BaseException] = []

    def allow(user_id: int, scope: str, barrier: threading.Barrier) -> None:
        with auth_app.app_context():
            barrier.wait()
            try:
                consent.grant(user_id, client_pk, scope)
            except BaseException as exc:  # collected: a thread's exception would otherwise vanish
                errors.append(exc)

    for user_id in user_ids:
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=allow, args=(user_id, scope, barrier)) for scope in ("openid", "email")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    with auth_app.app_context():
        for user_id in user_ids:
            assert consent.covers(user_id, client_pk, "openid email")
