"""Reading HTTP/1.1 answers (RFC 9112) for the introspection client: lengths, chunks, the end of
a kept-alive connection, and refusal of whatever is ambiguous (request smuggling's raw material)."""

from __future__ import annotations

import io
from http.client import BadStatusLine
from http.client import HTTPException
from http.client import IncompleteRead
from http.client import LineTooLong
from http.client import RemoteDisconnected

import pytest

from resource.wire import read_response


def read(raw: bytes, max_body: int = 1024):
    return read_response(io.BufferedReader(io.BytesIO(raw)), max_body)


def test_content_length_body_keeps_the_connection():
    (status, body), keep = read(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
    assert (status, body, keep) == (200, b"{}", True)


def test_connection_close_and_http_1_0_end_the_connection():
    assert read(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx")[1] is False
    assert read(b"HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 1\r\n\r\nx")[1] is False
    assert read(b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx")[1] is False


def test_chunked_body_with_extensions_and_trailers():
    raw = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;ext=1\r\n{"a"\r\n3\r\n: 1\r\n1\r\n}\r\n0\r\nX-Trailer: yes\r\n\r\n'
    )
    (status, body), keep = read(raw)
    assert (status, body, keep) == (200, b'{"a": 1}', True)


def test_body_without_length_runs_to_the_close():
    (status, body), keep = read(b"HTTP/1.1 503 Unavailable\r\n\r\nbusy")
    assert (status, body, keep) == (503, b"busy", False)


def test_interim_answers_are_skipped_and_204_has_no_body():
    (status, body), keep = read(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
    assert (status, body, keep) == (204, b"", True)


def test_nothing_at_all_is_a_remote_disconnect():
    with pytest.raises(RemoteDisconnected):
        read(b"")


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nab",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent Length: 2\r\n\r\nab",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    ],
)
def test_ambiguous_or_malformed_framing_is_refused(raw):
    with pytest.raises(HTTPException):
        read(raw)


@pytest.mark.parametrize(
    "line",
    [
        b"HTTP/2 200 OK\r\n",
        b"HTTP/1.1 20 OK\r\n",
        b"HTTP/1.1 2000 OK\r\n",
        b"SSH-2.0\r\n",
        b"HTTP/1.1 000 OK\r\n",
        b"HTTP/1.1 099 Odd\r\n",
    ],
)
def test_bad_status_lines(line):
    with pytest.raises(BadStatusLine):
        read(line + b"Content-Length: 0\r\n\r\n")


def test_truncated_bodies_are_incomplete():
    with pytest.raises(IncompleteRead):
        read(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    with pytest.raises(IncompleteRead):
        read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")


def test_sizes_are_bounded():
    with pytest.raises(HTTPException, match="too large"):
        read(b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n", max_body=1024)
    with pytest.raises(HTTPException, match="too large"):
        read(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + b"a" * 2048 + b"\r\n0\r\n\r\n",
            max_body=1024,
        )
    with pytest.raises(HTTPException, match="too large"):
        read(b"HTTP/1.1 200 OK\r\n\r\n" + b"a" * 2000, max_body=1024)
    with pytest.raises(LineTooLong):
        read(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
    with pytest.raises(HTTPException, match="too many"):
        read(b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 200 + b"\r\n")
