"""Real HTTP servers on 127.0.0.1, each in a thread, for end-to-end tests."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


class LiveServer:
    """Binds first, so the app can be built knowing its own URL (an issuer must name itself)."""

    def __init__(self) -> None:
        self.app = None
        self._server = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def _dispatch(self, environ, start_response):
        return self.app(environ, start_response)

    def start(self, app) -> LiveServer:
        self.app = app
        # A short poll interval: shutdown() waits for it, once per server per test.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(5)
