"""A fake authorization server that keeps connections alive (the test servers of ``LiveServer``
close each one after its answer), so that pooled connections, and the server dropping them, can
be staged: an idle timeout, a restart on the same port, an answer that never comes."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs

from tests.resource.fakes import RS_ID
from tests.resource.fakes import RS_SECRET


class KeepAliveServer:
    def __init__(self, port: int = 0) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.connections = 0
        # The paths asked on each connection, by its number (1 for the first).
        self.paths_by_connection: dict[int, list[str]] = {}
        self.delay = 0.0
        # "answer", "close" (drop the connection without a byte), "close-after" (answer, then drop it)
        self.mode = "answer"
        self.introspection_endpoint = ""
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def open_connections(self) -> int:
        """Connections the server holds open right now."""
        with self._lock:
            return len(self._open)

    def connections_carrying(self, path: str) -> int:
        """How many connections carried a request for ``path`` (other paths have pools of their own)."""
        return sum(path in paths for paths in list(self.paths_by_connection.values()))

    def drop_connections(self) -> None:
        """What an idle timeout or a crash does to every kept-alive connection."""
        with self._lock:
            for sock in self._open:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        self.drop_connections()
        self._server.shutdown()
        self._server.server_close()

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        if path == "/.well-known/oauth-authorization-server":
            return 200, {
                "issuer": self.url,
                "introspection_endpoint": self.introspection_endpoint or self.url + "/introspect",
            }
        if path == "/introspect":
            expected = "Basic " + base64.b64encode(f"{RS_ID}:{RS_SECRET}".encode()).decode()
            if headers.get("authorization") != expected:
                return 401, {"error": "invalid_client"}
            token = parse_qs(body.decode())["token"][0]
            if token.startswith("good"):
                return 200, {
                    "active": True,
                    "scope": "models:read",
                    "sub": "client-1",
                    "client_id": "client-1",
                    "token_type": "Bearer",
                    "exp": int(time.time()) + 600,
                }
            return 200, {"active": False}
        return 200, {"path": path, "method": method}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with fake._lock:
                    fake.connections += 1
                    self.number = fake.connections
                    fake._open.add(self.connection)

            def finish(self) -> None:
                with fake._lock:
                    fake._open.discard(self.connection)
                super().finish()

            def log_message(self, *_args) -> None:
                pass

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                fake.requests.append((self.command, self.path, headers, body))
                fake.paths_by_connection.setdefault(self.number, []).append(self.path)
                time.sleep(fake.delay)
                if fake.mode == "close":
                    self.close_connection = True
                    return
                status, payload = fake.answer(self.command, self.path, headers, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                if fake.mode == "close-after":
                    self.close_connection = True

            do_GET = do_POST = _serve

        return Handler
