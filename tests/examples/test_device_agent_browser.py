"""examples/device_agent.py, run as a person would run it, against live servers: it prints a code,
the person approves in Chromium, and it chats with the resource server; when the access token
expires it refreshes, and when the input ends it exits 0."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading

import pytest
from sqlalchemy import select
from sqlalchemy import update

from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.tokens.models import Token
from shared.config import PROJECT_ROOT
from tests.resource.e2e import API_SCOPES
from tests.support.browser import sign_in_on_the_page
from tests.support.device import device_client

pytestmark = pytest.mark.browser

AGENT = PROJECT_ROOT / "examples" / "device_agent.py"
WAIT = 30  # seconds for any one line: the agent polls every 5 s
API = "https://api.example"  # the resource server's identifier (RFC 8707), not where it listens


@pytest.fixture
def api(live_auth, start_resource):
    """A resource server trusting ``live_auth``, known to it as ``API``, checking every token afresh."""
    for scope in API_SCOPES:
        live_auth.scope(scope)
    resource_client = live_auth.client(
        redirect_uri=None, name="Resource server", resource_server=True, resource_url=API
    )
    server = start_resource(
        live_auth.url, resource_client.client_id, resource_client.client_secret, resource_url=API, resource_cache_ttl=0
    )
    return server.url + "/v1"


class Agent:
    """The example in its own process; stdout read line by line in a thread, so no read blocks forever."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-u", str(AGENT), *args],
            cwd=PROJECT_ROOT,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def line(self) -> str:
        try:
            return self.lines.get(timeout=WAIT)
        except queue.Empty:
            self.process.kill()
            raise AssertionError("the agent printed nothing: " + self.process.stderr.read()) from None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=WAIT)
        self.reader.join(WAIT)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            stream.close()

    def say(self, text: str) -> str:
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()
        return self.line()


def test_the_agent_signs_in_with_the_device_flow_chats_and_refreshes(live_auth, api, page):
    client = device_client(live_auth, name="Device agent", scope="openid chat:create")
    user = live_auth.user()
    agent = Agent("--issuer", live_auth.url, "--api", api, "--resource", API, "--client-id", client.client_id)
    try:
        shown = agent.line()
        match = re.fullmatch(r"To sign in, open (\S+) and enter the code ([A-Z]{4}-[A-Z]{4})", shown)
        assert match and match.group(1) == live_auth.url + "/device", shown
        assert agent.line() == f"(or open {live_auth.url}/device?user_code={match.group(2)})"

        page.goto(match.group(1))
        page.fill("input[name=user_code]", match.group(2))
        page.click("form button[type=submit]")
        sign_in_on_the_page(page, user.email, user.password)
        assert "Device agent" in page.locator("h1").inner_text()
        page.click("button[name=decision][value=allow]")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "You can return to your device"
        assert agent.line() == "Signed in."

        assert agent.say("Hello there") == "assistant> [demo model] You said: Hello there"
        audiences = live_auth.run(
            lambda: db_session().scalars(select(Token.audience).where(Token.client_id == client.pk)).all()
        )
        assert audiences == [API]  # a token for this API alone (RFC 8707)

        def expire_access_tokens():
            db_session().execute(update(Token).where(Token.client_id == client.pk).values(access_expires_at=utcnow()))
            db_session().commit()

        live_auth.run(expire_access_tokens)
        assert agent.say("Still there?") == "assistant> [demo model] You said: Still there?"
        rotated = live_auth.run(
            lambda: (
                db_session()
                .scalars(select(Token.refresh_rotated_at).where(Token.client_id == client.pk).order_by(Token.id))
                .all()
            )
        )
        assert len(rotated) == 2 and rotated[0] is not None and rotated[1] is None  # it used its refresh token

        agent.process.stdin.close()
        assert agent.process.wait(timeout=WAIT) == 0
    finally:
        agent.close()
