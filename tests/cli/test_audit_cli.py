"""`manage.py audit tail [--limit N] [--json]`: the latest audit events, newest last."""

from __future__ import annotations


def test_audit_tail_prints_the_latest_events_newest_last(cli):
    assert cli.ok("audit", "tail", "--json").json == []
    assert "no audit events" in cli.ok("audit", "tail").out
    created = cli.ok("clients", "add", "--name", "Partner", "--json").json
    cli.ok("scopes", "add", "reports:read", "--description", "Read reports")
    cli.ok("clients", "disable", created["client_id"])
    events = cli.ok("audit", "tail", "--json").json
    assert [event["event"] for event in events] == ["client.added", "scope.added", "client.disabled"]
    assert events[0]["client_id"] == created["client_id"] and events[1]["details"] == {
        "scope": "reports:read",
        "restricted": False,
    }
    assert [event["id"] for event in events] == sorted(event["id"] for event in events)
    latest = cli.ok("audit", "tail", "--limit", "2", "--json").json
    assert [event["event"] for event in latest] == ["scope.added", "client.disabled"]
    lines = cli.ok("audit", "tail", "--limit", "1").out.strip().splitlines()
    assert len(lines) == 1 and "client.disabled" in lines[0] and created["client_id"] in lines[0]
    assert created["client_secret"] not in cli.ok("audit", "tail", "--limit", "100").out


def test_audit_tail_refuses_a_bad_limit(cli):
    for limit in ("0", "-3", "many"):
        result = cli("audit", "tail", "--limit", limit)
        assert result.code != 0 and "--limit" in result.err and "Traceback" not in result.err
