"""Reading one HTTP/1.1 response (RFC 9112) off a kept-alive connection, for ``KeepAlivePool``.

Only what a JSON API answer needs: a status line, headers of which Content-Length,
Transfer-Encoding and Connection matter, and a body by length, in chunks, or up to the close.
``http.client.HTTPResponse`` does the same through the ``email`` package's header parser, which
alone costs about as much as the rest of an introspection call. Anything ambiguous (both a length
and chunks, two different lengths, a transfer coding other than chunked) is refused, never guessed.
"""

from __future__ import annotations

import re
import socket
from http.client import BadStatusLine
from http.client import HTTPException
from http.client import IncompleteRead
from http.client import LineTooLong
from http.client import RemoteDisconnected
from typing import NamedTuple

MAX_LINE = 8192
MAX_HEADERS = 100
_HEX = frozenset(b"0123456789abcdefABCDEF")
# RFC 9110 §5.1: a field name is a token; whitespace in or around it is refused (RFC 9112 §5.1).
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class Answer(NamedTuple):
    status: int
    body: bytes


class Connection:
    """A socket and its buffered reader, made once per connection, not once per response."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.rfile = sock.makefile("rb")

    def exchange(self, message: bytes, max_body: int) -> tuple[Answer, bool]:
        """Send one request; the answer, and whether the connection may carry another."""
        self.sock.sendall(message)
        return read_response(self.rfile, max_body)

    def close(self) -> None:
        self.rfile.close()
        self.sock.close()


def read_response(rfile, max_body: int) -> tuple[Answer, bool]:
    line = rfile.readline(MAX_LINE + 1)
    if not line:
        # What a kept-alive connection the server closed meanwhile answers: not one byte.
        raise RemoteDisconnected("the server closed the connection without answering")
    try:
        return _answer(rfile, line, max_body)
    except ConnectionError as exc:
        # Lost after the first byte: the server may have acted on the request, so this is no
        # stale connection to try again on; an error like any other malformed answer.
        raise HTTPException(f"connection lost mid-answer: {type(exc).__name__}") from None


def _answer(rfile, line: bytes, max_body: int) -> tuple[Answer, bool]:
    while True:
        status, keep = _status_line(line)
        length, chunked, keep = _headers(rfile, keep)
        if status >= 200:
            break
        # 1xx interim answers (103 Early Hints) come before the real one and have no body.
        line = rfile.readline(MAX_LINE + 1)
    if status in (204, 304):
        return Answer(status, b""), keep
    if chunked:
        return Answer(status, _chunks(rfile, max_body)), keep
    if length is None:
        # No length and no chunks: the body ends when the server closes (RFC 9112 §6.3, item 8).
        body = rfile.read(max_body + 1)
        if len(body) > max_body:
            raise HTTPException("response body too large")
        return Answer(status, body), False
    if length > max_body:
        raise HTTPException("response body too large")
    body = rfile.read(length)
    if len(body) != length:
        raise IncompleteRead(body, length - len(body))
    return Answer(status, body), keep


def _status_line(line: bytes) -> tuple[int, bool]:
    if len(line) > MAX_LINE:
        raise LineTooLong("status line")
    version, _, rest = line.partition(b" ")
    code = rest[:3]
    if (
        version not in (b"HTTP/1.1", b"HTTP/1.0")
        or len(code) != 3
        or not code.isdigit()
        or code < b"100"
        or rest[3:4] not in (b" ", b"\r", b"\n")
    ):
        raise BadStatusLine(repr(line[:100]))
    # HTTP/1.0 keep-alive is an extension we never ask for: such a connection is used once.
    return int(code), version == b"HTTP/1.1"


def _headers(rfile, keep: bool) -> tuple[int | None, bool, bool]:
    length, chunked = None, False
    for _ in range(MAX_HEADERS):
        line = rfile.readline(MAX_LINE + 1)
        if line in (b"\r\n", b"\n"):
            break
        if len(line) > MAX_LINE:
            raise LineTooLong("header line")
        name, colon, value = line.partition(b":")
        if not colon or not line.endswith(b"\n") or not _TOKEN.fullmatch(name):
            raise HTTPException("malformed header line")
        name, value = name.lower(), value.strip()
        if name == b"content-length":
            if not value.isdigit() or (length is not None and int(value) != length):
                raise HTTPException("bad Content-Length")
            length = int(value)
        elif name == b"transfer-encoding":
            if value.lower() != b"chunked" or chunked:
                raise HTTPException("unsupported Transfer-Encoding")
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            keep = False
    else:
        raise HTTPException("too many headers")
    if chunked and length is not None:
        # RFC 9112 §6.1: a message with both is a smuggling attempt or a broken intermediary.
        raise HTTPException("both Content-Length and Transfer-Encoding")
    return length, chunked, keep


def _chunks(rfile, max_body: int) -> bytes:
    parts, total = [], 0
    while True:
        line = rfile.readline(MAX_LINE + 1)
        size = line.split(b";", 1)[0].strip()
        if not line.endswith(b"\n") or not size or not _HEX.issuperset(size):
            raise HTTPException("bad chunk size line")
        size = int(size, 16)
        if size == 0:
            break
        total += size
        if total > max_body:
            raise HTTPException("response body too large")
        chunk = rfile.read(size + 2)
        if len(chunk) != size + 2 or not chunk.endswith(b"\r\n"):
            raise IncompleteRead(chunk, size + 2 - len(chunk))
        parts.append(chunk[:-2])
    for _ in range(MAX_HEADERS):  # trailer fields, ignored
        line = rfile.readline(MAX_LINE + 1)
        if line in (b"\r\n", b"\n"):
            return b"".join(parts)
        if not line.endswith(b"\n"):
            raise IncompleteRead(b"".join(parts))
    raise HTTPException("too many trailer fields")
