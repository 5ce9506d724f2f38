from __future__ import annotations

import json

import click

from authserver.cli import emit
from authserver.cli import in_app_context
from authserver.clients import services
from authserver.errors import InvalidInput


@click.group()
def clients() -> None:
    """Registered client applications."""


def _with_secret(registration: services.Registration) -> dict:
    payload = services.client_as_dict(registration.client)
    if registration.client_secret:
        payload["client_secret"] = registration.client_secret
    return payload


def _describe(payload: dict) -> str:
    return "\n".join(f"{key}: {value}" for key, value in payload.items())


@clients.command("add")
@click.option("--name", required=True)
@click.option("--grant-type", "grant_types", multiple=True, help="Repeat for several.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, help="Repeat for several.")
@click.option("--post-logout-redirect-uri", "post_logout_redirect_uris", multiple=True)
@click.option("--scope", default=None, help='Allowed scopes, space separated: "a b".')
@click.option("--auth-method", default="client_secret_basic")
@click.option("--resource-server", is_flag=True, help="May call the introspection endpoint.")
@click.option("--client-uri", default=None)
@click.option("--policy-uri", default=None)
@click.option("--jwks", default=None, help="JSON Web Key Set for private_key_jwt.")
@click.option("--json", "as_json", is_flag=True)
@in_app_context
def add(name, grant_types, redirect_uris, post_logout_redirect_uris, scope, auth_method,
        resource_server, client_uri, policy_uri, jwks, as_json) -> None:
    try:
        key_set = json.loads(jwks) if jwks else None
    except ValueError:
        raise InvalidInput("--jwks is not valid JSON") from None
    registration = services.register_client(
        name=name,
        grant_types=list(grant_types),
        redirect_uris=list(redirect_uris),
        post_logout_redirect_uris=list(post_logout_redirect_uris),
        scope=scope,
        auth_method=auth_method,
        resource_server=resource_server,
        client_uri=client_uri,
        policy_uri=policy_uri,
        jwks=key_set,
    )
    payload = _with_secret(registration)
    emit(payload, as_json, _describe(payload))


@clients.command("list")
@click.option("--json", "as_json", is_flag=True)
@in_app_context
def list_(as_json: bool) -> None:
    rows = [services.client_as_dict(client) for client in services.list_clients()]
    text = "\n".join(
        f"{row['client_id']:<26} {row['name']:<30} {','.join(row['grant_types'])}"
        f"{'  disabled' if row['disabled'] else ''}"
        for row in rows
    )
    emit(rows, as_json, text)


@clients.command("show")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
@in_app_context
def show(client_id: str, as_json: bool) -> None:
    payload = services.client_as_dict(services.get_client(client_id))
    emit(payload, as_json, _describe(payload))


@clients.command("rotate-secret")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
@in_app_context
def rotate_secret(client_id: str, as_json: bool) -> None:
    registration = services.rotate_secret(client_id)
    payload = {"client_id": registration.client.client_id, "client_secret": registration.client_secret}
    emit(payload, as_json, _describe(payload))


@clients.command("set-limits")
@click.argument("client_id")
@click.option("--rate-limit-per-minute", type=int, default=None, help="Requests a minute; 0 is unlimited.")
@click.option("--tokens-per-day", type=int, default=None, help="Model tokens a day; 0 is unlimited.")
@click.option("--json", "as_json", is_flag=True)
@in_app_context
def set_limits(client_id: str, rate_limit_per_minute: int | None, tokens_per_day: int | None, as_json: bool) -> None:
    """Set the limits resource servers enforce for this client (left out: the server's default)."""
    payload = services.client_as_dict(services.set_limits(client_id, rate_limit_per_minute, tokens_per_day))
    emit(payload, as_json, _describe(payload))


@clients.command("disable")
@click.argument("client_id")
@in_app_context
def disable(client_id: str) -> None:
    client = services.disable_client(client_id)
    click.echo(f"disabled client {client.client_id}")
