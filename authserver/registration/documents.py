"""Clients named by a client ID metadata document (draft-ietf-oauth-client-id-metadata-document).

The ``client_id`` is an https URL; the document served there is the client's registration. It is
fetched when first seen and again once its cache time has passed, checked, and kept as a client row
(``registered_via`` ``cimd``) so tokens, consent, usage and the admin CLI treat it like any other
client. Such a client is always public: it has no secret, and PKCE is required of it as of every
client here. An admin's ``clients disable`` holds even while the document is still served.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError

from authserver.audit.services import record
from authserver.cache import app_cache
from authserver.clients.models import Client
from authserver.clients.services import apply_metadata
from authserver.clients.services import find_client
from authserver.extensions import db_session
from authserver.extensions import get_config
from authserver.registration.fetch import DocumentRefused
from authserver.registration.fetch import fetch
from authserver.registration.metadata import InvalidRegistration
from authserver.registration.metadata import Trust
from authserver.registration.metadata import parse_metadata
from shared.security import digest

# A refused document is not fetched again for this long: a flood of authorization requests naming
# it costs one fetch, and its owner sees a fix within a minute.
REFUSAL_SECONDS = 60
SECRET_MEMBERS = ("client_secret", "client_secret_expires_at")


def document_client(url: str) -> Client:
    """The client the document at ``url`` describes, fetched if not fresh; DocumentRefused says why not."""
    cache = app_cache("client-documents")
    key = digest(url)
    refusal = cache.get("refused:" + key)
    if refusal is not None:
        raise DocumentRefused(refusal)
    client = find_client(url)
    if client is not None and client.disabled:
        raise DocumentRefused("this client has been disabled by the server's administrator")
    if client is not None and cache.get("fresh:" + key):
        return client
    try:
        config = get_config()
        fetched = fetch(url, config.cimd_allow_hosts, config.cimd_fetch_timeout)
        metadata = parse_document(url, fetched.body)
    except DocumentRefused as refused:
        cache.set("refused:" + key, str(refused), REFUSAL_SECONDS)
        raise
    client = _store(url, metadata, client)
    cache.set("fresh:" + key, "1", fetched.cache_seconds)
    return client


def parse_document(url: str, body: bytes):
    """The document's metadata, checked as an open registration's would be (draft §4.1)."""
    try:
        data = json.loads(body)
    except ValueError:
        raise DocumentRefused("the metadata document is not JSON") from None
    if not isinstance(data, dict):
        raise DocumentRefused("the metadata document is not a JSON object")
    if data.get("client_id") != url:
        raise DocumentRefused("the document's client_id is not the URL it was fetched from")
    if any(member in data for member in SECRET_MEMBERS):
        raise DocumentRefused("a metadata document must not hold a client secret")
    if data.get("token_endpoint_auth_method", "none") != "none":
        raise DocumentRefused("a client named by its metadata document is public: token_endpoint_auth_method none")
    if not data.get("redirect_uris"):
        raise DocumentRefused("the metadata document lists no redirect_uris")
    data = {**data, "client_name": data.get("client_name") or urlsplit(url).hostname}
    try:
        return parse_metadata(data, Trust(public_only=True))
    except InvalidRegistration as error:
        raise DocumentRefused(f"the metadata document is invalid: {error}") from None


def _store(url: str, metadata, client: Client | None) -> Client:
    session = db_session()
    created = client is None
    if created:
        client = Client(
            client_id=url,
            client_secret_digest=None,
            registered_via="cimd",
            post_logout_redirect_uris=[],
            is_resource_server=False,
        )
        session.add(client)
    apply_metadata(client, metadata)
    if created:
        record("client.added", client_id=url, via="cimd")
    try:
        session.commit()
    except IntegrityError:
        # Another process stored the same document first: theirs is as good as ours.
        session.rollback()
        client = find_client(url)
        if client is None:
            raise
    return client
