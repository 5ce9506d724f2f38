from __future__ import annotations

import json

import click

from authserver.audit import services
from authserver.cli import emit
from authserver.cli import in_app_context


@click.group()
def audit() -> None:
    """The audit trail: sign-ins, consents, tokens, clients and every admin change."""


def _line(event: dict) -> str:
    who = " ".join(f"{name}={event[name]}" for name in ("client_id", "user_id", "ip") if event[name] is not None)
    details = json.dumps(event["details"], sort_keys=True, default=str) if event["details"] else ""
    return " ".join(part for part in (event["at"], event["event"], who, details) if part)


@audit.command("tail")
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="How many of the latest events to print.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array, oldest first.")
@in_app_context
def tail(limit: int, as_json: bool) -> None:
    """The latest audit events, newest last."""
    events = [services.event_as_dict(event) for event in services.latest(limit)]
    emit(events, as_json, "\n".join(_line(event) for event in events) or "no audit events yet")
