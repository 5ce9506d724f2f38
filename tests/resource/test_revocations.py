"""``Revocations.check``, the one check after every token validation, and the feed that fills it:
read from the authorization server's feed, pushed over Redis, with the feed filling what Redis lost."""

from __future__ import annotations

import json
import time

import pytest
import redis
from flask import Flask
from flask import jsonify
from flask import request

from resource.auth import TokenInfo
from resource.revocation_feed import RevocationFeed
from resource.revocations import Revocations
from shared.paths import REVOCATIONS_CHANNEL
from tests.support.clients import eventually
from tests.support.live_server import LiveServer
from tests.support.oauth import resource_config

NOW = int(time.time())


def _info(client_id="app", sub="ada", scope="chat:create models:read", iat=NOW - 10) -> TokenInfo:
    claims = {"active": True, "client_id": client_id, "sub": sub, "scope": scope, "exp": NOW + 3600}
    if iat is not None:
        claims["iat"] = iat
    return TokenInfo.from_claims(claims)


def _match(issued_before=NOW, **match) -> dict:
    return {"match": match, "issued_before": issued_before, "until": NOW + 3600}


def test_a_revoked_digest_is_refused_until_its_exp_and_the_cache_is_told():
    revocations = Revocations()
    told = []
    revocations.on_tokens.append(told.append)
    info = _info()
    assert revocations.check("a" * 64, info) is info
    assert revocations.apply(
        {"tokens": [{"digest": "a" * 64, "exp": time.time() + 60}, {"digest": "b" * 64, "exp": NOW - 1}]}
    )
    assert revocations.check("a" * 64, info) is None
    assert revocations.check("b" * 64, info) is info  # already expired: never kept
    assert told == [["a" * 64]]
    revocations.apply({"tokens": [{"digest": "c" * 64, "exp": time.time() + 0.05}]})
    time.sleep(0.1)
    revocations.prune()
    assert revocations.check("c" * 64, info) is info and revocations.check("a" * 64, info) is None


def test_a_client_or_person_rule_refuses_what_was_issued_until_then():
    revocations = Revocations()
    revocations.apply(_match(client_id="app"))
    assert revocations.check("d", _info()) is None
    assert revocations.check("d", _info(iat=NOW)) is None  # the same second: issued before it
    assert revocations.check("d", _info(iat=NOW + 1)) is not None  # issued after
    assert revocations.check("d", _info(iat=None)) is None  # when unknown: refused
    assert revocations.check("d", _info(client_id="other")) is not None
    revocations.apply(_match(sub="ada"))
    assert revocations.check("d", _info(client_id="other")) is None
    assert revocations.check("d", _info(client_id="other", sub="bob")) is not None


def test_a_withdrawn_scope_leaves_the_token_and_the_answer_follows_new_rules():
    revocations = Revocations()
    info = _info()
    revocations.apply(_match(client_id="app", scope="chat:create"))
    narrowed = revocations.check("d", info)
    assert narrowed.scopes == {"models:read"} and narrowed.sub == "ada"
    assert revocations.check("d", info) is narrowed  # remembered until the rules change
    assert revocations.check("d", _info(client_id="other")).scopes == {"chat:create", "models:read"}
    revocations.apply(_match(scope="models:read"))  # every client's
    assert revocations.check("d", info).scopes == frozenset()
    assert revocations.check("d", _info(iat=NOW + 1)).scopes == {"chat:create", "models:read"}


def test_rules_are_forgotten_once_no_token_they_cover_can_be_alive():
    revocations = Revocations()
    info = _info()
    revocations.apply({"match": {"client_id": "app"}, "issued_before": NOW, "until": time.time() + 0.05})
    assert revocations.check("d", info) is None
    time.sleep(0.1)
    revocations.prune()
    assert revocations.check("d", info) is info
    revocations.apply(_match(sub="bob"))  # a new rule: what was remembered under the old ones is not reused
    assert revocations.check("d", info) is info


@pytest.mark.parametrize(
    "event",
    [
        {"match": {"aud": "x"}, "issued_before": NOW, "until": NOW + 60},
        {"match": {"client_id": 5}, "issued_before": NOW, "until": NOW + 60},
        {"match": {}, "issued_before": NOW, "until": NOW + 60},
        {"tokens": [{"digest": "a"}]},
        {"something": "else"},
    ],
)
def test_an_event_this_version_cannot_read_changes_nothing(event):
    revocations = Revocations()
    assert revocations.apply(event) is False
    assert revocations.check("a", _info()) is not None


class FakeFeed:
    """The authorization server's feed, scripted: ``events`` in id order."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.asked: list[str | None] = []
        self.page = 2
        self.status = 200

    def app(self) -> Flask:
        app = Flask("fake-feed")

        @app.get("/internal/revocations")
        def feed():
            after = int(request.args.get("after", "0"))
            self.asked.append(request.args.get("after"))
            if self.status != 200:
                return jsonify(error="server_error"), self.status
            newer = [event for event in self.events if event["id"] > after]
            page = newer[: self.page]
            more = len(newer) > self.page
            latest = self.events[-1]["id"] if self.events else 0
            return jsonify(events=page, cursor=page[-1]["id"] if more else latest, more=more)

        return app

    def revoke(self, digest: str) -> dict:
        event = {"id": len(self.events) + 1, "tokens": [{"digest": digest, "exp": NOW + 3600}]}
        self.events.append(event)
        return event


@pytest.fixture
def fake_feed():
    feed = FakeFeed()
    server = LiveServer().start(feed.app())
    feed.url = server.url
    yield feed
    server.stop()


def _feed(fake_feed, tmp_path, **overrides) -> RevocationFeed:
    return RevocationFeed(resource_config(fake_feed.url, tmp_path, **overrides), Revocations())


def test_the_feed_is_read_whole_at_first_use_and_a_failed_read_keeps_what_is_known(fake_feed, tmp_path):
    for n in range(5):
        fake_feed.revoke(f"digest-{n}")
    feed = _feed(fake_feed, tmp_path)
    try:
        assert feed.revocations.check("digest-4", _info()) is None  # the first check reads everything
        assert fake_feed.asked == [None, "2", "4"] and feed.cursor == 5
        fake_feed.status = 500
        assert feed.read() is False
        assert feed.cursor == 5 and feed.revocations.check("digest-0", _info()) is None
        fake_feed.status = 200
        fake_feed.revoke("digest-5")
        assert eventually(lambda: feed.revocations.check("digest-5", _info()) is None)  # the poll, every second
    finally:
        feed.close()


def test_pushed_events_apply_at_once_and_the_feed_fills_what_redis_lost(fake_feed, tmp_path, redis_url):
    fake_feed.revoke("before-start")
    feed = _feed(fake_feed, tmp_path, redis_url=redis_url)
    publisher = redis.Redis.from_url(redis_url)
    try:
        feed.start()
        assert feed.revocations.check("before-start", _info()) is None
        assert eventually(lambda: publisher.pubsub_numsub(REVOCATIONS_CHANNEL)[0][1] == 1)
        asked = len(fake_feed.asked)

        publisher.publish(REVOCATIONS_CHANNEL, json.dumps(fake_feed.revoke("pushed")))
        assert eventually(lambda: feed.revocations.check("pushed", _info()) is None)
        assert feed.cursor == 2

        fake_feed.revoke("never-published")
        publisher.publish(REVOCATIONS_CHANNEL, json.dumps(fake_feed.revoke("after-a-gap")))
        assert eventually(lambda: feed.revocations.check("never-published", _info()) is None)
        assert feed.revocations.check("after-a-gap", _info()) is None and feed.cursor == 4

        # A dropped subscription: on subscribing again the feed is read, so what was published meanwhile is found.
        fake_feed.revoke("while-disconnected")
        publisher.client_kill_filter(_type="pubsub")
        assert eventually(lambda: feed.revocations.check("while-disconnected", _info()) is None)
        assert len(fake_feed.asked) - asked <= 4  # pushed events cost no read of the feed
    finally:
        feed.close()
        publisher.close()
