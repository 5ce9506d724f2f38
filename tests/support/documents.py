"""A real HTTP server on 127.0.0.1 serving client ID metadata documents, each path answering as told."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from dataclasses import field

from werkzeug.wrappers import Response

from tests.support.live_server import LiveServer


@dataclass
class Answer:
    body: bytes = b""
    status: int = 200
    headers: dict = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0
    chunked: bool = False


class DocumentServer:
    """``serve(path, document)`` publishes a document; ``hits[path]`` counts the fetches of each path."""

    def __init__(self) -> None:
        self._server = LiveServer()
        self.url = self._server.url
        self.answers: dict[str, Answer] = {}
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()

    def start(self) -> DocumentServer:
        self._server.start(self._app)
        return self

    def stop(self) -> None:
        self._server.stop()

    def document(self, path: str, redirect_uris: list[str], **members) -> str:
        """Publish a valid document at ``path`` naming its own URL; returns that URL (the client_id)."""
        url = self.url + path
        self.serve(path, Answer(json.dumps({"client_id": url, "redirect_uris": redirect_uris, **members}).encode()))
        return url

    def serve(self, path: str, answer: Answer) -> str:
        self.answers[path] = answer
        return self.url + path

    def _app(self, environ, start_response):
        path = environ["PATH_INFO"]
        with self._lock:
            self.hits[path] = self.hits.get(path, 0) + 1
        answer = self.answers.get(path)
        if answer is None:
            return Response("not found", 404)(environ, start_response)
        if answer.delay:
            time.sleep(answer.delay)
        body = answer.body
        response = Response(iter([body]) if answer.chunked else body, answer.status, headers=answer.headers)
        return response(environ, start_response)
