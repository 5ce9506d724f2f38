"""An AI agent connects on its own: the official MCP SDK client, given only ``{RS}/mcp``, finds the
resource metadata from the 401 (RFC 9728), then the authorization server (RFC 8414), registers
itself (RFC 7591, open registration), sends the person through sign-in and consent in Chromium,
gets a token for this resource only (RFC 8707), lists the tools and chats. The person then removes
the app on the connected-apps page, and the agent's token stops working."""

from __future__ import annotations

import asyncio
import queue
import threading
import time

import httpx2
import pytest
import requests
from mcp.client.auth import OAuthClientProvider
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult
from mcp.shared.auth import OAuthClientInformationFull
from mcp.shared.auth import OAuthClientMetadata
from mcp.shared.auth import OAuthToken

from tests.resource.conftest import start_resource  # noqa: F401
from tests.resource.e2e import API_SCOPES
from tests.support.browser import sign_in_on_the_page
from tests.support.live_server import LiveServer
from tests.support.oauth import introspect
from tests.support.oauth import query_of
from tests.support.oauth import serve_auth

pytestmark = pytest.mark.browser
WAIT = 30


class MemoryStorage:
    """The SDK's TokenStorage: what the agent keeps between requests."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


class Agent:
    """The MCP client in its own thread and event loop; the test's thread plays the person.

    ``authorization_urls`` gets each URL the SDK would open in a browser; ``callbacks`` carries the
    redirect back (the loopback redirect URI's query) to the SDK.
    """

    def __init__(self, mcp_url: str, redirect_uri: str):
        self.mcp_url = mcp_url
        self.redirect_uri = redirect_uri
        self.storage = MemoryStorage()
        self.authorization_urls: queue.Queue[str] = queue.Queue()
        self.callbacks: queue.Queue[dict] = queue.Queue()
        self.outcome: queue.Queue = queue.Queue()

    def start(self) -> None:
        threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True).start()

    async def _run(self) -> None:
        try:
            self.outcome.put(await self._session())
        except BaseException as exc:  # handed to the test's thread, which asserts on it
            self.outcome.put(exc)

    async def _session(self) -> dict:
        async def open_browser(url: str) -> None:
            self.authorization_urls.put(url)

        async def wait_for_callback() -> AuthorizationCodeResult:
            params = await asyncio.to_thread(self.callbacks.get, True, WAIT)
            return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))

        auth = OAuthClientProvider(
            server_url=self.mcp_url,
            client_metadata=OAuthClientMetadata(
                client_name="Test agent",
                redirect_uris=[self.redirect_uri],
                grant_types=["authorization_code", "refresh_token"],
                token_endpoint_auth_method="none",
            ),
            storage=self.storage,
            redirect_handler=open_browser,
            callback_handler=wait_for_callback,
        )
        async with httpx2.AsyncClient(auth=auth, timeout=WAIT) as http:
            async with streamable_http_client(self.mcp_url, http_client=http) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    tools = await session.list_tools()
                    reply = await session.call_tool("chat", {"messages": [{"role": "user", "content": "hello agent"}]})
        return {"tools": [tool.name for tool in tools.tools], "reply": reply}


@pytest.fixture
def loopback_callback():
    """The agent's redirect URI (RFC 8252 loopback); what reaches it is queued for the agent."""
    reached: queue.Queue[dict] = queue.Queue()

    def app(environ, start_response):
        reached.put(query_of("?" + environ.get("QUERY_STRING", "")))
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"<h1>You can close this window.</h1>"]

    server = LiveServer().start(app)
    yield server.url + "/callback", reached
    server.stop()


def test_mcp_sdk_client_connects_on_its_own_and_loses_access_when_the_person_removes_it(
    config, start_resource, page, loopback_callback
):  # noqa: F811
    with serve_auth(config, open_registration=True) as auth:
        for scope in API_SCOPES:
            auth.scope(scope)
        introspector = auth.client(redirect_uri=None, name="Resource server", resource_server=True)
        rs = start_resource(auth.url, introspector.client_id, introspector.client_secret, resource_cache_ttl=1)
        # The resource server is one the authorization server knows: tokens may name it (RFC 8707).
        auth.client(redirect_uri=None, name="AI API", resource_server=True, resource_url=rs.url)
        person = auth.user(email="ada@example.com")
        redirect_uri, reached = loopback_callback

        agent = Agent(rs.url + "/mcp", redirect_uri)
        agent.start()
        authorization_url = agent.authorization_urls.get(timeout=WAIT)
        asked = query_of(authorization_url)
        assert authorization_url.startswith(auth.url + "/oauth/authorize?")
        assert asked["resource"].rstrip("/") == rs.url and asked["code_challenge_method"] == "S256"

        page.goto(authorization_url)
        sign_in_on_the_page(page, person.email, person.password)
        assert "Test agent" in page.content()
        page.click("button[name=decision][value=allow]")
        page.wait_for_url(redirect_uri + "*")
        agent.callbacks.put(reached.get(timeout=WAIT))

        outcome = agent.outcome.get(timeout=WAIT)
        if isinstance(outcome, BaseException):
            raise outcome
        assert outcome["tools"] == ["list_models", "embed", "chat"]
        reply = outcome["reply"]
        assert reply.is_error is False and reply.structured_content["content"]

        access_token = agent.storage.tokens.access_token
        info = introspect(auth, introspector, access_token).json()
        assert info["aud"] == [rs.url] and info["sub"] == person.sub
        assert set(info["scope"].split()) >= set(API_SCOPES)
        assert mcp_ping(rs.url, access_token).status_code == 200

        page.goto(auth.url + "/account/apps")
        app = page.locator("section.app", has_text="Test agent")
        app.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert "Test agent" in page.content() and page.locator("section.app", has_text="Test agent").count() == 0

        # The resource server may reuse an introspection answer for RESOURCE_CACHE_TTL (1 s here).
        deadline = time.monotonic() + 5
        while (refused := mcp_ping(rs.url, access_token)).status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert refused.status_code == 401
        assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


def mcp_ping(rs_url: str, token: str) -> requests.Response:
    return requests.post(
        rs_url + "/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        timeout=10,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"},
    )
