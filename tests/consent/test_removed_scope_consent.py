"""A removed scope leaves remembered consents: added again later, it is asked for again."""

from __future__ import annotations

from authserver.clients.services import register_client
from authserver.consent import services as consent
from authserver.scopes.services import add_scope
from authserver.scopes.services import remove_scope


def test_a_scope_removed_then_added_again_is_not_covered_by_an_old_consent(auth_app, user):
    with auth_app.app_context():
        add_scope("chat", "Chat with models")
        add_scope("chat:create", "Start chats")
        client_pk = register_client(name="Web", redirect_uris=["https://app.example/cb"]).client.id
        other_pk = register_client(name="Other", redirect_uris=["https://other.example/cb"]).client.id
        consent.grant(user.id, client_pk, "openid chat chat:create")
        consent.grant(user.id, other_pk, "openid")

        remove_scope("chat")
        add_scope("chat", "Read every chat ever held")

        assert consent.find_consent(user.id, client_pk).scope == "openid chat:create"
        assert not consent.covers(user.id, client_pk, "openid chat")
        assert consent.covers(user.id, client_pk, "openid chat:create")
        assert consent.find_consent(user.id, other_pk).scope == "openid"
