#!/usr/bin/env python
"""The admin CLI: ``python manage.py --help``."""

from __future__ import annotations

import logging
import os
import sys

import click
from sqlalchemy.exc import DBAPIError

from authserver.cli import build_cli

cli = build_cli()


@cli.command("serve")
@click.argument("app_name", type=click.Choice(["auth", "resource"]))
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=int, default=None, help="5000 for auth, 5001 for resource.")
def serve(app_name: str, host: str, port: int | None) -> None:
    """Run an app on the development server (use gunicorn in production)."""
    port = port or (5000 if app_name == "auth" else 5001)
    overrides = {}
    if app_name == "auth":
        from authserver import create_app
    else:
        from resource import create_app

        if not os.environ.get("RESOURCE_URL") and host not in ("0.0.0.0", "::"):
            # RESOURCE_URL defaults to the resource server's base URL: here, the address it listens on.
            overrides["resource_url"] = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    app = create_app(overrides)
    app.run(host=host, port=port, threaded=True)


def main(argv: list[str] | None = None) -> int:
    try:
        result = cli.main(args=argv, prog_name="manage.py", standalone_mode=False)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return exc.exit_code
    except DBAPIError as exc:
        detail = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
        click.echo(
            f"error: the database is unavailable or not migrated (run `python manage.py db upgrade`): {detail}",
            err=True,
        )
        return 1
    except click.Abort:
        click.echo("error: aborted", err=True)
        return 1
    except Exception as exc:  # one line, never a traceback; the log keeps the detail
        logging.getLogger("manage").debug("command failed", exc_info=True)
        click.echo(f"error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", err=True)
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
