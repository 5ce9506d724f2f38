from __future__ import annotations

import json

import click

from authserver.cli import emit
from authserver.cli import in_app_context
from authserver.clients import rotation
from authserver.clients import services
from authserver.errors import InvalidInput
from authserver.scopes import approvals


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


def _created(payload: dict, scope_defaulted: bool) -> str:
    """What was created, restated so the operator can check it at a glance."""
    lines = [f"created client {payload['name']!r}", f"client_id: {payload['client_id']}"]
    if "client_secret" in payload:
        lines += [
            f"client_secret: {payload['client_secret']}",
            "  (shown once: only its digest is stored; `clients rotate-secret` makes a new one)",
        ]
    lines += [
        f"grant_types: {' '.join(payload['grant_types'])}",
        f"token_endpoint_auth_method: {payload['token_endpoint_auth_method']}",
        f"scope: {payload['scope'] or '(none)'}",
        f"pkce: {payload['pkce']}",
        f"access_token_format: {payload['access_token_format']}",
    ]
    if scope_defaulted:
        lines.append(
            "  (no API scopes: without --scope a client gets the least privilege; allow API scopes "
            'with e.g. --scope "openid chat:create")'
        )
    lines.append(f"redirect_uris: {' '.join(payload['redirect_uris']) or '(none)'}")
    if payload["post_logout_redirect_uris"]:
        lines.append(f"post_logout_redirect_uris: {' '.join(payload['post_logout_redirect_uris'])}")
    if payload["resource_server"]:
        lines.append("resource_server: yes (may call the introspection endpoint)")
    if payload["resource_url"]:
        lines.append(
            f"resource_url: {payload['resource_url']} (tokens with resource={payload['resource_url']} are for it)"
        )
    return "\n".join(lines)


@clients.command("add")
@click.option("--name", required=True, help="Shown to people on the consent page.")
@click.option(
    "--grant-type",
    "grant_types",
    multiple=True,
    type=click.Choice(services.ADMIN_GRANT_TYPES),
    help="Repeat for several. [default: authorization_code + refresh_token with a --redirect-uri, "
    "client_credentials without]",
)
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    help="Where people come back after sign-in; https, or http on 127.0.0.1/[::1]. Repeat for several.",
)
@click.option(
    "--post-logout-redirect-uri",
    "post_logout_redirect_uris",
    multiple=True,
    help="Where RP-initiated logout may send people back to. Repeat for several.",
)
@click.option(
    "--scope",
    default=None,
    help='Scopes the client may ask for, space separated: "openid chat:create". '
    "[default: no API scopes; only the OpenID scopes for a client that signs people in]",
)
@click.option(
    "--auth-method",
    type=click.Choice(services.AUTH_METHODS),
    default="client_secret_basic",
    show_default=True,
    help="How the client authenticates at the token endpoint; none: a public client (PKCE S256 required).",
)
@click.option("--resource-server", is_flag=True, help="May call the introspection endpoint.")
@click.option(
    "--resource-url",
    default=None,
    help="With --resource-server: the resource identifier (RFC 8707) that tokens for it name.",
)
@click.option("--client-uri", default=None, help="The app's home page, linked from the consent page.")
@click.option("--policy-uri", default=None, help="The app's privacy policy, linked from the consent page.")
@click.option("--jwks", default=None, help="JSON Web Key Set for private_key_jwt.")
@click.option(
    "--pkce",
    type=click.Choice(services.PKCE_POLICIES),
    default=services.PKCE_REQUIRED,
    show_default=True,
    help="optional: only for a legacy confidential client that cannot send PKCE.",
)
@click.option(
    "--require-par", is_flag=True, help="Accept its authorization requests only through the PAR endpoint (RFC 9126)."
)
@click.option(
    "--access-token-format",
    type=click.Choice(services.ACCESS_TOKEN_FORMATS),
    default=services.OPAQUE,
    show_default=True,
    help="jwt: RFC 9068 JWT access tokens, signed with the server's keys, which resource servers validate "
    "without introspection.",
)
@click.option(
    "--require-dpop",
    is_flag=True,
    help="Refuse its token requests without a DPoP proof: its tokens are always key-bound (RFC 9449 §5.2).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the client as one JSON object.")
@in_app_context
def add(
    name,
    grant_types,
    redirect_uris,
    post_logout_redirect_uris,
    scope,
    auth_method,
    resource_server,
    resource_url,
    client_uri,
    policy_uri,
    jwks,
    pkce,
    require_par,
    access_token_format,
    require_dpop,
    as_json,
) -> None:
    """Register a client; a confidential client's secret is printed once."""
    try:
        key_set = json.loads(jwks) if jwks else None
    except ValueError:
        raise InvalidInput("--jwks is not valid JSON") from None
    grant_types = list(grant_types) or services.default_grant_types(list(redirect_uris))
    scope_defaulted = scope is None
    if scope_defaulted:
        scope = services.least_privilege_scope(grant_types)
    registration = services.register_client(
        name=name,
        grant_types=grant_types,
        redirect_uris=list(redirect_uris),
        post_logout_redirect_uris=list(post_logout_redirect_uris),
        scope=scope,
        auth_method=auth_method,
        resource_server=resource_server,
        client_uri=client_uri,
        policy_uri=policy_uri,
        jwks=key_set,
        resource_url=resource_url,
        pkce=pkce,
        require_par=require_par,
        access_token_format=access_token_format,
        require_dpop=require_dpop,
    )
    payload = _with_secret(registration)
    emit(payload, as_json, _created(payload, scope_defaulted))


@clients.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@in_app_context
def list_(as_json: bool) -> None:
    """Every client: id, name, grant types, and whether it is disabled."""
    rows = [services.client_as_dict(client) for client in services.list_clients()]
    text = "\n".join(
        f"{row['client_id']:<26} {row['name']:<30} {row['registered_via']:<6} {row['owner_email'] or '-':<30} "
        f"{','.join(row['grant_types'])}{'  deleted' if row['deleted'] else '  disabled' if row['disabled'] else ''}"
        for row in rows
    )
    emit(rows, as_json, text or "no clients")


@clients.command("show")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@in_app_context
def show(client_id: str, as_json: bool) -> None:
    """One client's registration (never its secret)."""
    payload = services.client_as_dict(services.get_client(client_id))
    emit(payload, as_json, _describe(payload))


@clients.command("rotate-secret")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@in_app_context
def rotate_secret(client_id: str, as_json: bool) -> None:
    """Give a confidential client a new secret (printed once); the old one stops working at once."""
    registration = rotation.rotate_secret(services.get_client(client_id))
    payload = {"client_id": registration.client.client_id, "client_secret": registration.client_secret}
    emit(payload, as_json, _describe(payload))


@clients.command("set-limits")
@click.argument("client_id")
@click.option("--rate-limit-per-minute", type=int, default=None, help="Requests a minute; 0 is unlimited.")
@click.option("--tokens-per-day", type=int, default=None, help="Model tokens a day; 0 is unlimited.")
@click.option("--json", "as_json", is_flag=True, help="Print the client as one JSON object.")
@in_app_context
def set_limits(client_id: str, rate_limit_per_minute: int | None, tokens_per_day: int | None, as_json: bool) -> None:
    """Set the limits resource servers enforce for this client (left out: the server's default)."""
    payload = services.client_as_dict(services.set_limits(client_id, rate_limit_per_minute, tokens_per_day))
    emit(payload, as_json, _describe(payload))


@clients.command("set-pkce")
@click.argument("client_id")
@click.argument("pkce", type=click.Choice(services.PKCE_POLICIES))
@click.option("--json", "as_json", is_flag=True, help="Print the client as one JSON object.")
@in_app_context
def set_pkce(client_id: str, pkce: str, as_json: bool) -> None:
    """PKCE for this client's authorization requests: required, or optional (legacy confidential clients)."""
    payload = services.client_as_dict(services.set_pkce(client_id, pkce))
    emit(payload, as_json, _describe(payload))


@clients.command("disable")
@click.argument("client_id")
@in_app_context
def disable(client_id: str) -> None:
    """Stop the client: from now on it can no longer authenticate or get tokens."""
    client = services.disable_client(client_id)
    click.echo(f"disabled client {client.client_id}")


@clients.command("approve-scope")
@click.argument("client_id")
@click.argument("scope")
@in_app_context
def approve_scope(client_id: str, scope: str) -> None:
    """Let this app be granted a restricted scope (it is added to what the app may ask for)."""
    approvals.approve_scope(services.get_client(client_id), scope)
    click.echo(f"approved {scope} for client {client_id}")


@clients.command("revoke-scope")
@click.argument("client_id")
@click.argument("scope")
@in_app_context
def revoke_scope(client_id: str, scope: str) -> None:
    """Withdraw a restricted scope from this app: new tokens leave it out, issued ones lose it."""
    approvals.revoke_scope_approval(services.get_client(client_id), scope)
    click.echo(f"revoked {scope} for client {client_id}")
