from __future__ import annotations

import click

from authserver.accounts import services
from authserver.cli import emit
from authserver.cli import in_app_context
from authserver.cli import read_stdin_secret


@click.group()
def users() -> None:
    """People with a local account."""


@users.command("add")
@click.option("--email", required=True, help="The address the person signs in with.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--json", "as_json", is_flag=True, help="Print the user as one JSON object.")
@in_app_context
def add(email: str, password_stdin: bool, as_json: bool) -> None:
    """Add a person who signs in with an email and password (stored as an argon2id hash)."""
    if not password_stdin:
        raise click.ClickException("give the password on standard input with --password-stdin")
    password = read_stdin_secret("password")
    user = services.add_user(email, password)
    emit(services.user_as_dict(user), as_json, f"added user {user.email} (sub {user.sub})")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@in_app_context
def list_(as_json: bool) -> None:
    """Every user: id, email, sub, and whether they are disabled."""
    rows = [services.user_as_dict(user) for user in services.list_users()]
    text = "\n".join(
        f"{row['id']:>5} {row['email']:<40} {row['sub']}{'  disabled' if row['disabled'] else ''}" for row in rows
    )
    emit(rows, as_json, text or "no users")


@users.command("disable")
@click.argument("email")
@in_app_context
def disable(email: str) -> None:
    """Stop a person signing in; their tokens introspect inactive from now on."""
    user = services.disable_user(email)
    click.echo(f"disabled user {user.email}")
