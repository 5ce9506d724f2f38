from __future__ import annotations

import click

from authserver.cli import emit
from authserver.cli import in_app_context
from authserver.scopes import catalog
from authserver.scopes import services


@click.group()
def scopes() -> None:
    """Scopes clients may ask for."""


def _as_dict(scope) -> dict:
    return {"name": scope.name, "description": scope.description, "restricted": scope.restricted}


@scopes.command("add")
@click.argument("name")
@click.option("--description", required=True, help="What people read on the consent page.")
@click.option("--restricted", is_flag=True, help="Grant only to clients allowed it explicitly.")
@click.option("--json", "as_json", is_flag=True, help="Print the scope as one JSON object.")
@in_app_context
def add(name: str, description: str, restricted: bool, as_json: bool) -> None:
    """Add a scope clients may be allowed to ask for."""
    scope = services.add_scope(name, description, restricted)
    emit(_as_dict(scope), as_json, f"added scope {scope.name}")


@scopes.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@in_app_context
def list_(as_json: bool) -> None:
    """Every scope with its description; restricted ones are marked."""
    rows = [_as_dict(scope) for scope in catalog.list_scopes()]
    text = "\n".join(
        f"{row['name']:<24} {'restricted ' if row['restricted'] else ''}{row['description']}" for row in rows
    )
    emit(rows, as_json, text)


@scopes.command("remove")
@click.argument("name")
@in_app_context
def remove(name: str) -> None:
    """Remove a scope: clients lose it, and people are asked again if it is added back."""
    services.remove_scope(name)
    click.echo(f"removed scope {name}")
