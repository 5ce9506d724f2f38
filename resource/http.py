"""HTTP clients of the resource server, one set per app, shared by every request thread.

``KeepAlivePool`` carries the calls to the authorization server (metadata discovery, token
introspection, and usage metering through a pool of its own): a few kept-alive HTTP/1.1 connections
to one origin, each request written in a
single ``sendall`` from headers built once at start-up, each answer read by ``resource.wire``.
With ``requests`` an introspection cost the resource server ~950 us of CPU, with this ~250 us
(``benchmarks/hotpaths.py``: me-nocache less me), most of it now the kernel's and the wait's.

``requests.Session`` (``pooled_session``) serves the upstream model API, which needs its features.
"""

from __future__ import annotations

import base64
import http.client
import socket
import ssl
import threading
from urllib.parse import quote
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from resource.wire import Answer
from resource.wire import Connection
from shared.forks import reset_in_child

POOL_SIZE = 32
USER_AGENT = "ai-authserver-resource/0.1"
# Introspection answers and metadata documents are a few hundred bytes.
MAX_RESPONSE_BYTES = 1024 * 1024
# What a kept-alive connection the server has closed meanwhile looks like: nothing was answered
# (over TLS the write may fail with an EOF of the TLS layer instead).
_STALE = (
    http.client.RemoteDisconnected,
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
)


class KeepAlivePool:
    """Requests to one origin over at most ``size`` idle kept-alive connections (more open while
    more threads call at once, and close after use), with ``timeout`` on connecting and on each read.

    A kept-alive connection the server closed meanwhile (an idle timeout, a restart) fails before
    any byte of an answer; the request is then sent once more on a new connection, and the other
    idle connections, as likely dead, are dropped. Proxies in the environment are never used.
    """

    def __init__(self, origin: str, timeout: float, size: int = POOL_SIZE):
        self.origin = origin_of(origin)
        url = urlsplit(self.origin)
        self._address = (url.hostname, url.port or (443 if url.scheme == "https" else 80))
        self._tls = ssl.create_default_context() if url.scheme == "https" else None
        self._timeout = timeout
        self._size = size
        fields = {"Host": url.netloc, "User-Agent": USER_AGENT}
        self._head = "".join(f"{name}: {_field(value)}\r\n" for name, value in fields.items()).encode("ascii")
        self._idle: list[Connection] = []
        self._lock = threading.Lock()
        # A forked child must not share its parent's sockets; they stay the parent's to close.
        reset_in_child(self, KeepAlivePool._forget_idle)

    def target(self, url: str) -> bytes:
        """The request target of a URL on this origin, checked once (for a URL learned at run time)."""
        if origin_of(url) != self.origin:
            raise ValueError(f"{url!r} is not on {self.origin}")
        parts = urlsplit(url)
        return _field(parts.path + ("?" + parts.query if parts.query else "") or "/", space=False).encode("ascii")

    def request(self, method: bytes, target: bytes, body: bytes = b"", headers: bytes = b"") -> Answer:
        """``headers``: extra header lines, each ending in CRLF, built once by the caller."""
        # RFC 9110 §8.6: no Content-Length on a request without content whose method expects none.
        length = b"Content-Length: %d\r\n" % len(body) if body or method != b"GET" else b""
        message = b"%s %s HTTP/1.1\r\n%s%s%s\r\n%s" % (method, target, self._head, headers, length, body)
        connection, reused = self._checkout()
        try:
            try:
                answer, keep = connection.exchange(message, MAX_RESPONSE_BYTES)
            except _STALE:
                if not reused:
                    raise
                connection.close()
                self.clear()
                connection = self._connect()
                answer, keep = connection.exchange(message, MAX_RESPONSE_BYTES)
        except BaseException:
            connection.close()
            raise
        if keep:
            self._checkin(connection)
        else:
            connection.close()
        return answer

    def clear(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _forget_idle(self) -> None:
        self._lock = threading.Lock()
        self._idle = []

    def _checkout(self) -> tuple[Connection, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return self._connect(), False

    def _checkin(self, connection: Connection) -> None:
        with self._lock:
            if len(self._idle) < self._size:
                self._idle.append(connection)
                return
        connection.close()

    def _connect(self) -> Connection:
        sock = socket.create_connection(self._address, self._timeout)
        try:
            # The request goes out in one write; nothing is gained by waiting to coalesce.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self._address[0])
        except BaseException:
            sock.close()
            raise
        return Connection(sock)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an http(s) URL; ValueError for anything else, credentials included."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise ValueError(f"not an http(s) URL without credentials: {url!r}")
    parts.port  # noqa: B018  (raises ValueError for a port that is not one)
    return f"{parts.scheme}://{parts.netloc}"


def _field(value: str, space: bool = True) -> str:
    """A header value or (without spaces) a request target: no control characters, so nothing can
    split the request. Checked once, when the bytes sent on every call are built."""
    if any(
        char < " " and not (space and char == "\t") or char == "\x7f" or (not space and char == " ") for char in value
    ):
        raise ValueError(f"control character or space in {value!r}")
    return value


def pooled_session() -> requests.Session:
    session = requests.Session()
    # Never read proxies or .netrc credentials from the environment for calls to our own servers.
    session.trust_env = False
    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=POOL_SIZE, max_retries=0, pool_block=False)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def basic_authorization(cfg) -> str:
    """The ``Authorization`` header value of the resource server's client_secret_basic credentials,
    each form-encoded first (RFC 6749 §2.3.1)."""
    credentials = f"{quote(cfg.resource_client_id or '', safe='')}:{quote(cfg.resource_client_secret or '', safe='')}"
    return "Basic " + base64.b64encode(credentials.encode()).decode("ascii")
