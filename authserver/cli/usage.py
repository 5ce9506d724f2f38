from __future__ import annotations

import click

from authserver.cli import emit
from authserver.cli import in_app_context
from authserver.usage import services


@click.group()
def usage() -> None:
    """API usage the resource server metered."""


@usage.command("report")
@click.option("--client", "client_ids", multiple=True, help="Only this client_id (repeat for several).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@in_app_context
def report(client_ids: tuple[str, ...], as_json: bool) -> None:
    """Requests and tokens in/out per client and, within it, per user."""
    rows = services.report(list(client_ids) or None)
    lines = [f"{'client_id':<26} {'name':<24} {'requests':>9} {'tokens_in':>10} {'tokens_out':>10}"]
    for row in rows:
        lines.append(
            f"{row['client_id']:<26} {(row['name'] or '?')[:24]:<24} {row['requests']:>9} "
            f"{row['tokens_in']:>10} {row['tokens_out']:>10}"
        )
        for user in row["users"]:
            lines.append(
                f"  user {user['user_sub']:<43} {user['requests']:>9} {user['tokens_in']:>10} {user['tokens_out']:>10}"
            )
    emit(rows, as_json, "\n".join(lines) if rows else "no usage recorded")
