"""Fetching a client ID metadata document without becoming a way into the private network.

draft-ietf-oauth-client-id-metadata-document §6 (security considerations): the URL is the caller's
choice, so the host is resolved first and every address it resolves to must be public (no private,
loopback, link-local, multicast or reserved address) unless an operator allow-listed the host
(``AUTHSERVER_CIMD_ALLOW_HOSTS``). The connection then goes to the very address that was checked,
never to a second lookup's answer, so DNS rebinding cannot switch it to another. TLS still verifies
the certificate against the host name. No redirects are followed; the body and the time are bounded.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

MAX_BYTES = 5 * 1024
MIN_CACHE_SECONDS = 5 * 60
MAX_CACHE_SECONDS = 24 * 3600
MAX_URL_LENGTH = 255  # the longest client_id the clients table holds


class DocumentRefused(Exception):
    """The document cannot be used; the message says why, in words a developer can act on."""


@dataclass(frozen=True)
class FetchedDocument:
    body: bytes
    cache_seconds: int


def is_document_url(client_id: str | None) -> bool:
    """A client_id that names a metadata document: an https URL (http only for allow-listed hosts,
    checked when fetched)."""
    return bool(client_id) and client_id.startswith(("https://", "http://"))


def check_url(url: str, allow_hosts: frozenset[str]) -> tuple[str, str, int]:
    """The document URL's scheme, host and port, if it may name a client (draft §3)."""
    if len(url) > MAX_URL_LENGTH or not url.isascii() or not url.isprintable() or " " in url:
        raise DocumentRefused(f"the client_id URL must be printable ASCII of at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DocumentRefused("the client_id is not a valid URL") from None
    host = (parts.hostname or "").lower()
    if not host or parts.username is not None or parts.password is not None or "#" in url:
        raise DocumentRefused("the client_id URL needs a host, and no user name, password or fragment")
    if parts.scheme != "https" and not (parts.scheme == "http" and host in allow_hosts):
        raise DocumentRefused("the client_id URL must use https")
    segments = parts.path.split("/")
    if parts.path in ("", "/") or "." in segments or ".." in segments:
        raise DocumentRefused("the client_id URL needs a path, without . or .. segments")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def resolve(host: str, port: int, allow_hosts: frozenset[str]) -> str:
    """The one address to connect to; every address the host has must be public unless allow-listed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise DocumentRefused(f"the host {host} could not be resolved") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise DocumentRefused(f"the host {host} could not be resolved")
    if host not in allow_hosts and not all(_public(address) for address in addresses):
        raise DocumentRefused(f"the host {host} resolves to a private, loopback or reserved address")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def fetch(url: str, allow_hosts: frozenset[str], timeout: float) -> FetchedDocument:
    scheme, host, port = check_url(url, allow_hosts)
    deadline = time.monotonic() + timeout
    address = resolve(host, port, allow_hosts)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address, max(0.1, deadline - time.monotonic()))
    try:
        connection.request("GET", url, headers={"Accept": "application/json", "User-Agent": "ai-authserver"})
        response = connection.getresponse()
        if 300 <= response.status < 400:
            raise DocumentRefused("the client_id URL redirects; the document must be served at the URL itself")
        if response.status != 200:
            raise DocumentRefused(f"fetching the client_id URL answered HTTP {response.status}")
        length = response.getheader("Content-Length")
        if length is not None and length.isdigit() and int(length) > MAX_BYTES:
            raise DocumentRefused(f"the metadata document is larger than {MAX_BYTES} bytes")
        body = _read_bounded(response, deadline)
        return FetchedDocument(body=body, cache_seconds=cache_seconds(response.headers))
    except (OSError, http.client.HTTPException, ssl.SSLError) as error:
        reason = "took too long" if isinstance(error, TimeoutError) else "failed"
        raise DocumentRefused(f"fetching the client_id URL {reason}") from None
    finally:
        connection.close()


def _read_bounded(response, deadline: float) -> bytes:
    body = b""
    while len(body) <= MAX_BYTES:
        if time.monotonic() > deadline:
            raise DocumentRefused("fetching the client_id URL took too long")
        chunk = response.read1(MAX_BYTES + 1 - len(body))
        if not chunk:
            return body
        body += chunk
    raise DocumentRefused(f"the metadata document is larger than {MAX_BYTES} bytes")


def cache_seconds(headers) -> int:
    """How long the document may be reused: its Cache-Control max-age (or Expires), within bounds
    that keep a flood of authorization requests from refetching it and a changed one from lasting."""
    seconds = None
    directives = [d.strip().lower() for d in (headers.get("Cache-Control") or "").split(",")]
    for directive in directives:
        name, _, value = directive.partition("=")
        if name in ("no-store", "no-cache"):
            seconds = 0
            break
        if name == "max-age" and value.strip('"').isdigit():
            seconds = int(value.strip('"'))
    if seconds is None and headers.get("Expires"):
        try:
            seconds = int(parsedate_to_datetime(headers["Expires"]).timestamp() - time.time())
        except (TypeError, ValueError):
            seconds = 0
    if seconds is None:
        seconds = 0
    return min(MAX_CACHE_SECONDS, max(MIN_CACHE_SECONDS, seconds))
