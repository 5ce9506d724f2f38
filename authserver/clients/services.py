from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from authserver.audit.services import record
from authserver.clients.models import Client
from authserver.clients.redirects import validate_redirect_uri
from authserver.db import utcnow
from authserver.errors import InvalidInput
from authserver.errors import NotFound
from authserver.extensions import db_session
from authserver.scopes.catalog import default_client_scopes
from authserver.scopes.catalog import require_known_scopes
from authserver.scopes.policy import OPENID_SCOPES
from authserver.scopes.policy import parse_scope
from shared.resources import canonical_resource
from shared.security import digest
from shared.security import new_credential
from shared.security import new_identifier

AUTHORIZATION_CODE = "authorization_code"
REFRESH_TOKEN = "refresh_token"
CLIENT_CREDENTIALS = "client_credentials"
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
SUPPORTED_GRANT_TYPES = (AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS, DEVICE_CODE)
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
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
) -> Registration:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("a client needs a name of 1 to 200 characters")
    redirect_uris = [validate_redirect_uri(uri) for uri in redirect_uris or []]
    post_logout_redirect_uris = [validate_redirect_uri(uri) for uri in post_logout_redirect_uris or []]
    grant_types = list(dict.fromkeys(grant_types or [])) or default_grant_types(redirect_uris)
    for grant_type in grant_types:
        if grant_type not in SUPPORTED_GRANT_TYPES:
            raise InvalidInput(
                f"unknown grant type {grant_type!r}: choose from {', '.join(SUPPORTED_GRANT_TYPES)}"
            )
    if auth_method not in AUTH_METHODS:
        raise InvalidInput(f"unknown auth method {auth_method!r}: choose from {', '.join(AUTH_METHODS)}")
    if AUTHORIZATION_CODE in grant_types and not redirect_uris:
        raise InvalidInput("the authorization_code grant needs at least one --redirect-uri")
    if auth_method == "none" and CLIENT_CREDENTIALS in grant_types:
        raise InvalidInput("a public client (--auth-method none) cannot use client_credentials")
    if auth_method == "none" and resource_server:
        raise InvalidInput("a resource server must be a confidential client")
    if grant_types == [REFRESH_TOKEN]:
        raise InvalidInput("refresh_token needs another grant type to obtain the first token")
    _check_key_set(jwks)
    resource_url = _resource_url(resource_url, resource_server)
    _check_page_uri("--client-uri", client_uri)
    _check_page_uri("--policy-uri", policy_uri)
    scopes = parse_scope(scope)
    if scope is None:
        scopes = default_client_scopes()
    elif scopes:
        require_known_scopes(scopes)

    secret = None if auth_method in ("none", "private_key_jwt") else new_credential()
    client = Client(
        client_id=new_identifier(),
        client_secret_digest=digest(secret) if secret else None,
        name=name,
        owner_id=owner_id,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
        grant_types=grant_types,
        response_types=["code"] if AUTHORIZATION_CODE in grant_types else [],
        scopes=scopes,
        token_endpoint_auth_method=auth_method,
        jwks=jwks,
        is_resource_server=resource_server,
        resource_url=resource_url,
        client_uri=client_uri,
        policy_uri=policy_uri,
    )
    session = db_session()
    session.add(client)
    record("client.added", client_id=client.client_id, user_id=owner_id, name=name)
    session.commit()
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


def resource_urls() -> frozenset[str]:
    """The resource identifiers of the enabled resource servers: what a ``resource`` parameter may name."""
    return frozenset(db_session().scalars(
        select(Client.resource_url).where(Client.resource_url.is_not(None), Client.disabled.is_(False))
    ))


def _check_page_uri(option: str, uri: str | None) -> None:
    """Pages the consent screen links to: a javascript: or data: URL there would run in our origin."""
    if uri is None:
        return
    try:
        parts = urlsplit(uri)
    except ValueError:  # an unclosed IPv6 bracket
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or len(uri) > 500:
        raise InvalidInput(f"{option} must be an http or https URL of at most 500 characters")


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


def list_clients(owner_id: int | None = None) -> list[Client]:
    query = select(Client).order_by(Client.id)
    if owner_id is not None:
        query = query.where(Client.owner_id == owner_id)
    return list(db_session().scalars(query))


def rotate_secret(client_id: str) -> Registration:
    client = get_client(client_id)
    if client.token_endpoint_auth_method not in SECRET_AUTH_METHODS:
        raise InvalidInput(f"client {client_id!r} authenticates without a secret ({client.token_endpoint_auth_method})")
    secret = new_credential()
    client.client_secret_digest = digest(secret)
    client.secret_rotated_at = utcnow()
    record("client.secret_rotated", client_id=client.client_id)
    db_session().commit()
    return Registration(client=client, client_secret=secret)


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
    record("client.limits_set", client_id=client.client_id, rate_limit_per_minute=rate_limit_per_minute,
           tokens_per_day=tokens_per_day)
    db_session().commit()
    return client


def disable_client(client_id: str) -> Client:
    client = get_client(client_id)
    client.disabled = True
    record("client.disabled", client_id=client.client_id)
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
        "grant_types": client.grant_types,
        "response_types": client.response_types,
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "scope": " ".join(client.scopes),
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "resource_server": client.is_resource_server,
        "resource_url": client.resource_url,
        "rate_limit_per_minute": client.rate_limit_per_minute,
        "tokens_per_day": client.tokens_per_day,
        "disabled": client.disabled,
        "created_at": client.created_at.isoformat(),
        "secret_rotated_at": client.secret_rotated_at.isoformat() if client.secret_rotated_at else None,
    }
