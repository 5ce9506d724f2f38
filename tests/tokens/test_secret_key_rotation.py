"""Rotating AUTHSERVER_SECRET_KEY: old keys in AUTHSERVER_OLD_SECRET_KEYS still open and verify what
they sealed or signed, `keys reseal` moves everything to the new key, and a key lost outright is
an audit event and a new signing key, never a 500."""

from __future__ import annotations

import base64
import json

import requests
from sqlalchemy import select

from authserver.audit.models import AuditEvent
from authserver.extensions import db_session
from authserver.federation import services as upstreams
from authserver.federation.models import UpstreamProvider
from tests.support.cli import Cli
from tests.support.oauth import CALLBACK
from tests.support.oauth import query_of
from tests.support.oauth import serve_auth

OLD, NEW = "old-secret-key-" + "a" * 40, "new-secret-key-" + "b" * 40


def _header(token: str) -> dict:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def _events(live, name: str) -> list[dict]:
    def read():
        return [row.details for row in db_session().scalars(select(AuditEvent).where(AuditEvent.event == name))]

    return live.run(read)


def test_old_keys_keep_sessions_signing_keys_and_upstream_secrets_working_until_resealed(config, monkeypatch, capsys):
    with serve_auth(config, secret_key=OLD) as before:
        client = before.client(redirect_uri=CALLBACK)
        user = before.user()
        first = before.user_tokens(client, user)
        before.run(
            lambda: (
                upstreams.add_provider(name="corp", type_="github", client_id="gh", client_secret="upstream-secret"),
                db_session().commit(),
            )
        )
        browser = before.browser()
        browser.sign_in(user)  # a session cookie signed with the old key

    with serve_auth(config, secret_key=NEW, old_secret_keys=(OLD,)) as after:
        browser.live = after
        code, verifier = browser.authorization_code(client)  # the old cookie still signs them in
        again = requests.post(
            after.token_endpoint,
            auth=(client.client_id, client.client_secret),
            timeout=10,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": client.redirect_uri,
                "code_verifier": verifier,
            },
        ).json()
        assert _header(again["id_token"])["kid"] == _header(first["id_token"])["kid"]
        assert (
            after.run(lambda: upstreams.open_secret(db_session().scalar(select(UpstreamProvider)))) == "upstream-secret"
        )

    cli = Cli(
        monkeypatch,
        capsys,
        {
            "AUTHSERVER_DATABASE_URL": config.database_url,
            "AUTHSERVER_INSTANCE_PATH": str(config.instance_path),
            "AUTHSERVER_SECRET_KEY": NEW,
            "AUTHSERVER_OLD_SECRET_KEYS": OLD,
        },
    )
    counts = cli.ok("keys", "reseal", "--json").json
    assert counts == {
        "signing_keys_resealed": 1,
        "signing_keys_unreadable": 0,
        "upstream_secrets_resealed": 1,
        "upstream_secrets_unreadable": 0,
    }
    assert cli.ok("keys", "reseal", "--json").json["signing_keys_resealed"] == 0

    with serve_auth(config, secret_key=NEW) as resealed:  # the old key is gone now
        tokens = resealed.user_tokens(client, user)
        assert _header(tokens["id_token"])["kid"] == _header(first["id_token"])["kid"]
        assert (
            resealed.run(lambda: upstreams.open_secret(db_session().scalar(select(UpstreamProvider))))
            == "upstream-secret"
        )
        assert _events(resealed, "keys.resealed") and not _events(resealed, "signing_key.unreadable")
        # A cookie signed with a key no longer listed signs nobody in.
        browser.live = resealed
        response = browser.authorize(
            {
                "response_type": "code",
                "client_id": client.client_id,
                "redirect_uri": CALLBACK,
                "code_challenge": "x" * 43,
                "code_challenge_method": "S256",
                "scope": "openid",
            }
        )
        assert "code" not in query_of(response.headers.get("Location", ""))


def test_a_lost_secret_key_replaces_the_signing_key_instead_of_failing_every_openid_exchange(config):
    with serve_auth(config, secret_key=OLD) as before:
        client = before.client(redirect_uri=CALLBACK)
        first = before.user_tokens(client)

    with serve_auth(config, secret_key=NEW) as after:  # changed, and the old key not kept
        tokens = after.user_tokens(client)
        old_kid, new_kid = _header(first["id_token"])["kid"], _header(tokens["id_token"])["kid"]
        assert new_kid != old_kid
        published = {key["kid"] for key in requests.get(after.url + "/oauth/jwks", timeout=10).json()["keys"]}
        assert {old_kid, new_kid} <= published  # id_tokens the lost key signed still verify
        assert _events(after, "signing_key.unreadable") == [{"kid": old_kid}]
        assert after.user_tokens(client)["id_token"]
