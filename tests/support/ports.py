"""Loopback ports for servers a test starts in another process (PostgreSQL, Redis, gunicorn...).

Such a server binds its port itself, some time after the test picked it; meanwhile another
pytest-xdist worker, another engineer's test run or an outgoing connection could be handed the
same port by the kernel. ``free_port`` therefore reserves the port: it connects to it once and
closes the accepted side first, which leaves the port in TIME_WAIT for a minute. The kernel never
hands a TIME_WAIT port to ``bind(("127.0.0.1", 0))`` (anyone's ``free_port``, any in-process
``LiveServer``), while a server binding it by number with SO_REUSEADDR, as PostgreSQL, Redis,
Werkzeug, gunicorn and granian all do, gets it at once. The same port with nothing listening is
a safe "nothing listens here" address for the test that wants one.
"""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        address = server.getsockname()
        with socket.create_connection(address) as client:
            accepted, _ = server.accept()
            accepted.close()  # the side that closes first keeps the port in TIME_WAIT
            client.recv(1)  # until the close reached the client: then the TIME_WAIT is there
        return address[1]
