"""The admin CLI (``python manage.py …``): one module per command group.

Every command runs inside an app context on the configured database. Bad input raises
``InvalidInput``, which ``manage.py`` prints as one line on stderr with a non-zero exit.
"""

from __future__ import annotations

import json
import sys
from functools import wraps

import click

from authserver.errors import InvalidInput


def emit(payload: object, as_json: bool, text: str | None = None) -> None:
    if as_json:
        click.echo(json.dumps(payload, indent=None, sort_keys=False, default=str))
    elif text is not None:
        click.echo(text)


def in_app_context(command):
    """Run the command inside the authorization server's app context; roll back on any error."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        from authserver import create_app
        from authserver.extensions import db_session

        app = create_app()
        with app.app_context():
            try:
                return command(*args, **kwargs)
            except InvalidInput as exc:
                db_session().rollback()
                raise click.ClickException(str(exc)) from None
            except BaseException:
                db_session().rollback()
                raise
            finally:
                app.extensions["authserver.db"].dispose()

    return wrapper


def read_stdin_secret(what: str) -> str:
    value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise click.ClickException(f"no {what} on standard input")
    return value


def build_cli() -> click.Group:
    from authserver.cli.audit import audit
    from authserver.cli.clients import clients
    from authserver.cli.db import db
    from authserver.cli.demo import demo
    from authserver.cli.keys import keys
    from authserver.cli.registration import registration_token
    from authserver.cli.scopes import scopes
    from authserver.cli.tokens import tokens
    from authserver.cli.upstreams import upstreams
    from authserver.cli.usage import usage
    from authserver.cli.users import users

    @click.group(context_settings={"help_option_names": ["-h", "--help"]})
    def cli() -> None:
        """Administer the authorization server."""

    for group in (db, scopes, clients, users, upstreams, demo, usage, tokens, keys, registration_token, audit):
        cli.add_command(group)
    return cli
