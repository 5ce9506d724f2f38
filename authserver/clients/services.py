from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Text
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from authserver.audit.services import record
from authserver.clients.metadata import ACCESS_TOKEN_FORMATS
from authserver.clients.metadata import ADMIN_GRANT_TYPES
from authserver.clients.metadata import AUTH_METHODS
from authserver.clients.metadata import AUTHORIZATION_CODE
from authserver.clients.metadata import CLIENT_CREDENTIALS
from authserver.clients.metadata import MAX_APPS_PER_OWNER
from authserver.clients.metadata import OPAQUE
from authserver.clients.metadata import REFRESH_TOKEN
from authserver.clients.metadata import SECRET_AUTH_METHODS
from authserver.clients.metadata import TOKEN_EXCHANGE
from authserver.clients.metadata import ClientMetadata
from authserver.clients.metadata import MetadataError
from authserver.clients.metadata import page_url_problem
from authserver.clients.models import Client
from authserver.clients.redirects import validate_redirect_uri
from authserver.db import utcnow
from authserver.errors import InvalidInput
from authserver.errors import NotFound
from authserver.extensions import db_session
from authserver.scopes.approvals import approve_listed_restricted_scopes
from authserver.scopes.catalog import default_client_scopes
from authserver.scopes.catalog import require_known_scopes
from authserver.scopes.catalog import unapproved_restricted_scopes
from authserver.scopes.policy import OPENID_SCOPES
from authserver.scopes.policy import parse_scope
from authserver.scopes.policy import withheld_among
from authserver.tokens.services import revoke_client_tokens
from shared.resources import canonical_resource
from shared.security import digest
from shared.security import new_credential
from shared.security import new_identifier

PKCE_REQUIRED = "required"
PKCE_OPTIONAL = "optional"
PKCE_POLICIES = (PKCE_REQUIRED, PKCE_OPTIONAL)
MAX_LIMIT = 2**31 - 1  # the columns are 32-bit integers on PostgreSQL


def default_grant_types(redirect_uris: list[str] | None) -> list[str]:
    """A client with a redirect URI signs people in; one without calls APIs as itself."""
    return [AUTHORIZATION_CODE, REFRESH_TOKEN] if redirect_uris else [CLIENT_CREDENTIALS]


def least_privilege_scope(grant_types: list[str]) -> str:
    """What an operator's client gets when they name no scopes: sign-in only, no API scopes.

    A client that acts for people may ask for the OpenID scopes; one that acts only as itself
    (client_credentials) for nothing. API scopes are always granted by name.
    """
    acts_for_people = any(grant_type != CLIENT_CREDENTIALS for grant_type in grant_types)
    return " ".join(OPENID_SCOPES) if acts_for_people else ""


@dataclass(frozen=True)
class Registration:
    client: Client
    client_secret: str | None


def register_client(
    *,
    name: str,
    grant_types: list[str] | None = None,
    redirect_uris: list[str] | None = None,
    post_logout_redirect_uris: list[str] | None = None,
    scope: str | None = None,  # None: every unrestricted scope; "": none
    auth_method: str = "client_secret_basic",
    resource_server: bool = False,
    owner_id: int | None = None,
    client_uri: str | None = None,
    policy_uri: str | None = None,
    jwks: dict | None = None,
    resource_url: str | None = None,
    pkce: str = PKCE_REQUIRED,
    require_par: bool = False,
    access_token_format: str = OPAQUE,
    require_dpop: bool = False,
) -> Registration:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("a client needs a name of 1 to 200 characters")
    redirect_uris = [validate_redirect_uri(uri) for uri in redirect_uris or []]
    post_logout_redirect_uris = [validate_redirect_uri(uri) for uri in post_logout_redirect_uris or []]
    grant_types = list(dict.fromkeys(grant_types or [])) or default_grant_types(redirect_uris)
    for grant_type in grant_types:
        if grant_type not in ADMIN_GRANT_TYPES:
            raise InvalidInput(f"unknown grant type {grant_type!r}: choose from {', '.join(ADMIN_GRANT_TYPES)}")
    if auth_method not in AUTH_METHODS:
        raise InvalidInput(f"unknown auth method {auth_method!r}: choose from {', '.join(AUTH_METHODS)}")
    if AUTHORIZATION_CODE in grant_types and not redirect_uris:
        raise InvalidInput("the authorization_code grant needs at least one --redirect-uri")
    if auth_method == "none" and CLIENT_CREDENTIALS in grant_types:
        raise InvalidInput("a public client (--auth-method none) cannot use client_credentials")
    if auth_method == "none" and TOKEN_EXCHANGE in grant_types:
        raise InvalidInput("a public client (--auth-method none) cannot exchange tokens")
    if auth_method == "none" and resource_server:
        raise InvalidInput("a resource server must be a confidential client")
    if grant_types == [REFRESH_TOKEN]:
        raise InvalidInput("refresh_token needs another grant type to obtain the first token")
    check_pkce_policy(pkce, auth_method)
    if access_token_format not in ACCESS_TOKEN_FORMATS:
        raise InvalidInput(
            f"unknown access token format {access_token_format!r}: choose from {', '.join(ACCESS_TOKEN_FORMATS)}"
        )
    _check_key_set(jwks)
    resource_url = _resource_url(resource_url, resource_server)
    _check_page_uri("--client-uri", client_uri)
    _check_page_uri("--policy-uri", policy_uri)
    scopes = parse_scope(scope)
    if scope is None:
        scopes = default_client_scopes()
    elif scopes:
        require_known_scopes(scopes)

    client = Client(
        owner_id=owner_id,
        registered_via="cli",
        post_logout_redirect_uris=post_logout_redirect_uris,
        is_resource_server=resource_server,
        resource_url=resource_url,
        pkce=pkce,
        require_pushed_authorization_requests=require_par,
    )
    apply_metadata(
        client,
        ClientMetadata(
            client_name=name,
            redirect_uris=redirect_uris,
            grant_types=grant_types,
            response_types=["code"] if AUTHORIZATION_CODE in grant_types else [],
            token_endpoint_auth_method=auth_method,
            scope=scopes,
            client_uri=client_uri,
            policy_uri=policy_uri,
            jwks=jwks,
            access_token_format=access_token_format,
            dpop_bound_access_tokens=require_dpop,
        ),
    )
    registration = _insert_client(client)
    # The admin named these scopes for this client: that is the approval restricted ones need.
    approve_listed_restricted_scopes(registration.client)
    db_session().commit()
    return registration


def check_pkce_policy(pkce: str, auth_method: str) -> None:
    """PKCE (S256) is required of every client (RFC 9700 §2.1.1); only a confidential client may be
    let off, for legacy software that cannot send it. A public client has nothing else binding its code."""
    if pkce not in PKCE_POLICIES:
        raise InvalidInput(f"unknown PKCE policy {pkce!r}: choose from {', '.join(PKCE_POLICIES)}")
    if pkce == PKCE_OPTIONAL and auth_method == "none":
        raise InvalidInput(
            "a public client (--auth-method none) must use PKCE: --pkce optional is for confidential clients"
        )


def set_pkce(client_id: str, pkce: str) -> Client:
    client = get_client(client_id)
    check_pkce_policy(pkce, client.token_endpoint_auth_method)
    client.pkce = pkce
    record("client.pkce_set", client_id=client.client_id, pkce=pkce)
    db_session().commit()
    return client


def limits_set() -> dict[str, dict[str, int]]:
    """Every client's limits an admin set, as resource servers poll them: only the limits set, only
    the clients with one (the rest are held to each resource server's defaults)."""
    rows = db_session().execute(
        select(Client.client_id, Client.rate_limit_per_minute, Client.tokens_per_day)
        .where((Client.rate_limit_per_minute.is_not(None)) | (Client.tokens_per_day.is_not(None)))
        .order_by(Client.client_id)
    )
    return {
        client_id: {
            name: value
            for name, value in (("rate_limit_per_minute", per_minute), ("tokens_per_day", per_day))
            if value is not None
        }
        for client_id, per_minute, per_day in rows
    }


def create_client(metadata: ClientMetadata, *, registered_via: str, owner_id: int | None = None) -> Registration:
    """Register an app from checked metadata (``clients.metadata``): the portal, RFC 7591, CIMD.

    A developer may own at most ``MAX_APPS_PER_OWNER`` apps. Restricted scopes are recorded as asked
    for and granted only once an admin approves them (``clients approve-scope``).
    """
    registration = add_client(metadata, registered_via=registered_via, owner_id=owner_id)
    db_session().commit()
    return registration


def add_client(metadata: ClientMetadata, *, registered_via: str, owner_id: int | None = None) -> Registration:
    """``create_client`` without the commit, for a caller whose transaction holds more (RFC 7591's
    use of an initial access token, the client's registration access token)."""
    if owner_id is not None and count_owned_clients(owner_id) >= MAX_APPS_PER_OWNER:
        raise MetadataError(
            {
                "app": f"you already have {MAX_APPS_PER_OWNER} apps, the most one developer may "
                "register: delete one first"
            }
        )
    client = Client(
        owner_id=owner_id, registered_via=registered_via, post_logout_redirect_uris=[], is_resource_server=False
    )
    apply_metadata(client, metadata)
    return _insert_client(client)


def update_client(client: Client, metadata: ClientMetadata) -> Registration:
    """Replace an app's metadata. An app that now authenticates with a secret gets a new one (shown once)."""
    had_secret = client.client_secret_digest is not None
    apply_metadata(client, metadata)
    secret = None
    if metadata.token_endpoint_auth_method in SECRET_AUTH_METHODS and not had_secret:
        secret = new_credential()
        client.client_secret_digest = digest(secret)
    elif metadata.token_endpoint_auth_method not in SECRET_AUTH_METHODS:
        client.client_secret_digest = client.previous_secret_digest = client.previous_secret_expires_at = None
    record("client.updated", client_id=client.client_id, user_id=client.owner_id)
    db_session().commit()
    return Registration(client=client, client_secret=secret)


def delete_client(client: Client) -> int:
    """Delete an app for its developer: disabled for good, gone from the portal, every token revoked at once.

    The row stays (disabled, ``deleted_at`` set) for the audit trail and ``clients list``. Returns
    the number of tokens revoked.
    """
    client.disabled = True
    client.deleted_at = utcnow()
    revoked = revoke_client_tokens(client)
    record("client.deleted", client_id=client.client_id, user_id=client.owner_id, tokens_revoked=revoked)
    db_session().commit()
    return revoked


def apply_metadata(client: Client, metadata: ClientMetadata) -> None:
    """Set a client's registration from checked metadata (every way in shares it); the caller commits."""
    client.name = metadata.client_name
    client.redirect_uris = metadata.redirect_uris
    client.grant_types = metadata.grant_types
    client.response_types = metadata.response_types
    client.token_endpoint_auth_method = metadata.token_endpoint_auth_method
    client.scopes = metadata.scope
    client.app_type = metadata.app_type
    client.description = metadata.description
    client.contacts = metadata.contacts
    client.client_uri = metadata.client_uri
    client.logo_uri = metadata.logo_uri
    client.policy_uri = metadata.policy_uri
    client.tos_uri = metadata.tos_uri
    client.jwks = metadata.jwks
    if metadata.access_token_format is not None:
        client.access_token_format = metadata.access_token_format
    if metadata.dpop_bound_access_tokens is not None:
        client.dpop_bound_access_tokens = metadata.dpop_bound_access_tokens


def _insert_client(client: Client) -> Registration:
    """Give ``client`` an id (and a secret, when it authenticates with one) and add it; the caller commits."""
    method = client.token_endpoint_auth_method
    secret = None if method in ("none", "private_key_jwt") else new_credential()
    client.client_id = new_identifier()
    client.client_secret_digest = digest(secret) if secret else None
    session = db_session()
    session.add(client)
    session.flush()
    record(
        "client.added",
        client_id=client.client_id,
        user_id=client.owner_id,
        name=client.name,
        registered_via=client.registered_via,
    )
    return Registration(client=client, client_secret=secret)


def _check_key_set(jwks) -> None:
    """The shape private_key_jwt reads at the token endpoint (RFC 7517 §5); anything else would fail there."""
    if jwks is None:
        return
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not all(isinstance(key, dict) for key in keys):
        raise InvalidInput('--jwks must be a JSON Web Key Set: {"keys": [...]}')


def _resource_url(uri: str | None, resource_server: bool) -> str | None:
    """RFC 8707 §2: an absolute URI without a fragment, kept in the canonical form tokens' audiences use."""
    if uri is None:
        return None
    if not resource_server:
        raise InvalidInput("--resource-url names a resource server: add --resource-server")
    canonical = canonical_resource(uri)
    if canonical is None:
        raise InvalidInput("--resource-url must be an http or https URL without a fragment, of at most 500 characters")
    return canonical


def set_resource_url(client_id: str, resource_url: str | None) -> Client:
    """Name (or, with None, stop naming) the resource identifier of a resource server."""
    client = get_client(client_id)
    canonical = _resource_url(resource_url, client.is_resource_server)
    if client.resource_url != canonical:
        client.resource_url = canonical
        record("client.resource_url_set", client_id=client.client_id, resource_url=canonical)
        db_session().commit()
    return client


def any_client_holds(grant_type: str) -> bool:
    """Whether any enabled client is registered with ``grant_type`` (one query; metadata asks)."""
    holds = select(Client.id).where(
        Client.disabled.is_(False), cast(Client.grant_types, Text).contains(f'"{grant_type}"', autoescape=True)
    )
    return db_session().scalar(holds.limit(1)) is not None


def resource_urls() -> frozenset[str]:
    """The resource identifiers of the enabled resource servers: what a ``resource`` parameter may name."""
    return frozenset(
        db_session().scalars(
            select(Client.resource_url).where(Client.resource_url.is_not(None), Client.disabled.is_(False))
        )
    )


def _check_page_uri(option: str, uri: str | None) -> None:
    problem = page_url_problem(uri)
    if problem:
        raise InvalidInput(f"{option} {problem}")


def get_client(client_id: str) -> Client:
    client = find_client(client_id)
    if client is None:
        raise NotFound(f"no client with id {client_id!r}")
    return client


def could_be_client_id(value: str | None) -> bool:
    """False for what we could never have issued: not worth a query (a NUL byte fails one on PostgreSQL)."""
    return bool(value) and len(value) <= 255 and value.isascii() and value.isprintable()


def find_client(client_id: str | None) -> Client | None:
    if not could_be_client_id(client_id):
        return None
    return db_session().scalar(select(Client).where(Client.client_id == client_id))


def find_enabled_client(client_id: str | None) -> Client | None:
    """The enabled client with this id, or None: unknown and disabled clients look the same."""
    client = find_client(client_id)
    return client if client is not None and not client.disabled else None


def find_enabled_client_for_grants(client_id: str | None) -> tuple[Client, list[str]] | None:
    """The enabled client and the restricted scopes it lists but may not be granted, in one query."""
    if not could_be_client_id(client_id):
        return None
    found = (
        db_session()
        .execute(
            select(Client, unapproved_restricted_scopes()).where(
                Client.client_id == client_id, Client.disabled.is_(False)
            )
        )
        .first()
    )
    if found is None:
        return None
    client, unapproved = found
    return client, withheld_among(client.scopes, unapproved)


def list_clients(owner_id: int | None = None) -> list[Client]:
    """Every client (the admin's view), or the apps one developer owns and has not deleted."""
    query = select(Client).order_by(Client.id).options(selectinload(Client.owner))
    if owner_id is not None:
        query = query.where(Client.owner_id == owner_id, Client.deleted_at.is_(None))
    return list(db_session().scalars(query))


def count_owned_clients(owner_id: int) -> int:
    return db_session().scalar(
        select(func.count(Client.id)).where(Client.owner_id == owner_id, Client.deleted_at.is_(None))
    )


def owned_client(owner_id: int, client_id: str) -> Client:
    """The app ``client_id`` if ``owner_id`` owns it and has not deleted it; NotFound otherwise (never 'not yours')."""
    client = find_client(client_id)
    if client is None or client.owner_id != owner_id or client.deleted_at is not None:
        raise NotFound(f"no app with id {client_id!r}")
    return client


def set_limits(client_id: str, rate_limit_per_minute: int | None, tokens_per_day: int | None) -> Client:
    """Per-client limits the resource servers enforce (published through introspection); None is the default."""
    for name, value in (("requests per minute", rate_limit_per_minute), ("tokens per day", tokens_per_day)):
        if value is not None and value < 0:
            raise InvalidInput(f"{name} must not be negative (0 means unlimited)")
        if value is not None and value > MAX_LIMIT:
            raise InvalidInput(f"{name} must be at most {MAX_LIMIT} (0 means unlimited)")
    client = get_client(client_id)
    client.rate_limit_per_minute = rate_limit_per_minute
    client.tokens_per_day = tokens_per_day
    record(
        "client.limits_set",
        client_id=client.client_id,
        rate_limit_per_minute=rate_limit_per_minute,
        tokens_per_day=tokens_per_day,
    )
    db_session().commit()
    return client


def disable_client(client_id: str) -> Client:
    client = get_client(client_id)
    client.disabled = True
    # Its own tokens are inactive while it is disabled; revoking them reaches the tokens other
    # clients exchanged from them too (RFC 8693), whose own clients are still enabled.
    revoked = revoke_client_tokens(client)
    record("client.disabled", client_id=client.client_id, tokens_revoked=revoked)
    db_session().commit()
    return client


def withdraw_scope_from_clients(name: str) -> None:
    """A removed scope leaves every client's registration; the caller commits."""
    for client in db_session().scalars(select(Client)):
        if name in client.scopes:
            client.scopes = [s for s in client.scopes if s != name]


def client_as_dict(client: Client) -> dict:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "registered_via": client.registered_via,
        "owner_email": client.owner.email if client.owner is not None else None,
        "app_type": client.app_type,
        "grant_types": client.grant_types,
        "response_types": client.response_types,
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "scope": " ".join(client.scopes),
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "resource_server": client.is_resource_server,
        "resource_url": client.resource_url,
        "pkce": client.pkce,
        "require_pushed_authorization_requests": client.require_pushed_authorization_requests,
        "access_token_format": client.access_token_format,
        "dpop_bound_access_tokens": client.dpop_bound_access_tokens,
        "rate_limit_per_minute": client.rate_limit_per_minute,
        "tokens_per_day": client.tokens_per_day,
        "disabled": client.disabled,
        "deleted": client.deleted_at is not None,
        "description": client.description,
        "client_uri": client.client_uri,
        "logo_uri": client.logo_uri,
        "policy_uri": client.policy_uri,
        "tos_uri": client.tos_uri,
        "contacts": client.contacts,
        "created_at": client.created_at.isoformat(),
        "secret_rotated_at": client.secret_rotated_at.isoformat() if client.secret_rotated_at else None,
    }
