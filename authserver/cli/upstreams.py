from __future__ import annotations

import click

from authserver.cli import emit
from authserver.cli import in_app_context
from authserver.cli import read_stdin_secret
from authserver.federation import services
from authserver.federation.providers import TYPES


@click.group()
def upstreams() -> None:
    """Upstream identity providers people can sign in with."""


@upstreams.command("add")
@click.option("--name", required=True, help="Lowercase; the redirect URI is {issuer}/login/NAME/callback.")
@click.option("--type", "type_", required=True, type=click.Choice(list(TYPES)), help="The kind of provider.")
@click.option("--client-id", required=True, help="Our client id at the provider.")
@click.option("--client-secret-stdin", is_flag=True, help="Read the client secret from the first line of stdin.")
@click.option("--issuer", default=None, help="oidc/google: the issuer whose discovery document is read.")
@click.option("--authorize-url", default=None, help="github/facebook: override the real authorization endpoint.")
@click.option("--token-url", default=None, help="github/facebook: override the real token endpoint.")
@click.option("--userinfo-url", default=None, help="github: the user API; {URL}/emails is the emails API.")
@click.option("--json", "as_json", is_flag=True, help="Print the provider as one JSON object.")
@in_app_context
def add(name, type_, client_id, client_secret_stdin, issuer, authorize_url, token_url, userinfo_url, as_json) -> None:
    """Let people sign in through an upstream identity provider."""
    if not client_secret_stdin:
        raise click.ClickException("give the client secret on standard input with --client-secret-stdin")
    provider = services.add_provider(
        name=name,
        type_=type_,
        client_id=client_id,
        client_secret=read_stdin_secret("client secret"),
        issuer=issuer,
        authorize_url=authorize_url,
        token_url=token_url,
        userinfo_url=userinfo_url,
    )
    payload = services.provider_as_dict(provider)
    emit(
        payload, as_json, f"added upstream {provider.name}; register this redirect URI there: {payload['redirect_uri']}"
    )


@upstreams.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@in_app_context
def list_(as_json: bool) -> None:
    """Every upstream provider with the redirect URI to register there."""
    rows = [services.provider_as_dict(provider) for provider in services.list_providers()]
    text = "\n".join(
        f"{row['name']:<20} {row['type']:<9} {row['redirect_uri']}{'  disabled' if row['disabled'] else ''}"
        for row in rows
    )
    emit(rows, as_json, text)


def _switch(command_name: str, disabled: bool, help_text: str):
    @upstreams.command(command_name, help=help_text)
    @click.argument("name")
    @in_app_context
    def command(name: str) -> None:
        services.set_disabled(name, disabled)
        click.echo(f"{command_name}d upstream {name}")

    return command


disable = _switch("disable", True, "Hide the provider's button and refuse its sign-ins (identities are kept).")
enable = _switch("enable", False, "Offer a disabled provider again.")


@upstreams.command("remove")
@click.argument("name")
@in_app_context
def remove(name: str) -> None:
    """Remove a provider and every identity linked through it."""
    linked = services.remove_provider(name)
    click.echo(f"removed upstream {name} and {linked} linked identities")
