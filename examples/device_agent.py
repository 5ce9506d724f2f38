"""A command-line agent that signs in with the device flow (RFC 8628) and chats.

It needs nothing but the authorization server's URL and a client id: every endpoint comes from the
server's discovery document. It shows a code, the person approves in any browser, and each line
typed is then sent to ``/v1/chat/completions`` with the person's access token (refreshed when it
expires, and the person asked again when the refresh token is gone too).

    python manage.py clients add --name "Device agent" --auth-method none --scope "openid chat:create" \\
        --grant-type urn:ietf:params:oauth:grant-type:device_code --grant-type refresh_token
    python examples/device_agent.py --client-id CLIENT_ID

Needs ``requests`` and ``openai`` (``pip install requests openai``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import openai
import requests

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class SignInFailed(Exception):
    """The person denied the request, or it expired, or the server refused it."""


class DeviceSignIn:
    """The device authorization grant from the client's side, endpoints from discovery."""

    def __init__(
        self, issuer: str, client_id: str, scope: str, resource: str | None = None, http: requests.Session | None = None
    ):
        self.client_id = client_id
        self.scope = scope
        self.resource = resource
        self.http = http or requests.Session()
        response = self.http.get(issuer.rstrip("/") + "/.well-known/oauth-authorization-server", timeout=10)
        response.raise_for_status()
        self.metadata = response.json()

    def sign_in(self) -> dict:
        """Ask for a code, show it, poll until the person decides (RFC 8628 §3.4-3.5)."""
        request = {"client_id": self.client_id, "scope": self.scope}
        if self.resource:  # RFC 8707: the token is for this API only
            request["resource"] = self.resource
        response = self.http.post(self.metadata["device_authorization_endpoint"], data=request, timeout=10)
        codes = _json_or_fail(response)
        print(f"To sign in, open {codes['verification_uri']} and enter the code {codes['user_code']}", flush=True)
        print(f"(or open {codes['verification_uri_complete']})", flush=True)
        interval = codes.get("interval", 5)
        while True:
            time.sleep(interval)
            response = self._token_request(grant_type=DEVICE_CODE_GRANT, device_code=codes["device_code"])
            if response.ok:
                print("Signed in.", flush=True)
                return response.json()
            error = response.json().get("error")
            if error == "slow_down":
                interval += 5
            elif error != "authorization_pending":
                _json_or_fail(response)

    def refresh(self, tokens: dict) -> dict | None:
        """New tokens from the refresh token, or None when there is none or it no longer works."""
        if "refresh_token" not in tokens:
            return None
        response = self._token_request(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
        return response.json() if response.ok else None

    def _token_request(self, **data) -> requests.Response:
        return self.http.post(self.metadata["token_endpoint"], data={**data, "client_id": self.client_id}, timeout=10)


def _json_or_fail(response: requests.Response) -> dict:
    body = response.json()
    if not response.ok:
        raise SignInFailed(f"{body.get('error')}: {body.get('error_description', 'no description')}")
    return body


class Chat:
    """A conversation with the API through the OpenAI SDK, with the person's access token as the key."""

    def __init__(self, auth: DeviceSignIn, api_base: str, model: str):
        self.auth = auth
        self.api_base = api_base
        self.model = model
        self.messages: list[dict] = []
        self.tokens = auth.sign_in()

    def ask(self, text: str) -> str:
        self.messages.append({"role": "user", "content": text})
        try:
            answer = self._complete()
        except openai.AuthenticationError:  # expired or revoked: refresh, or sign in again
            self.tokens = self.auth.refresh(self.tokens) or self.auth.sign_in()
            answer = self._complete()
        self.messages.append({"role": "assistant", "content": answer})
        return answer

    def _complete(self) -> str:
        client = openai.OpenAI(base_url=self.api_base, api_key=self.tokens["access_token"], max_retries=0)
        completion = client.chat.completions.create(model=self.model, messages=self.messages)
        return completion.choices[0].message.content


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sign in with the device flow, then chat.")
    parser.add_argument(
        "--issuer",
        default=os.environ.get("AGENT_ISSUER", "http://127.0.0.1:5000"),
        help="the authorization server (default: %(default)s)",
    )
    parser.add_argument(
        "--api",
        default=os.environ.get("AGENT_API", "http://127.0.0.1:5001/v1"),
        help="the OpenAI-compatible API (default: %(default)s)",
    )
    parser.add_argument(
        "--client-id",
        default=os.environ.get("AGENT_CLIENT_ID"),
        required="AGENT_CLIENT_ID" not in os.environ,
        help="a client registered for the device code grant",
    )
    parser.add_argument("--scope", default="openid chat:create", help="(default: %(default)s)")
    parser.add_argument(
        "--resource",
        default=os.environ.get("AGENT_RESOURCE"),
        help="the API's resource identifier, to get a token for it alone (RFC 8707)",
    )
    parser.add_argument("--model", default="demo-chat", help="(default: %(default)s)")
    args = parser.parse_args(argv)

    try:
        chat = Chat(DeviceSignIn(args.issuer, args.client_id, args.scope, args.resource), args.api, args.model)
        interactive = sys.stdin.isatty()
        while True:
            line = input("you> " if interactive else "")
            if line.strip():
                print("assistant>", chat.ask(line), flush=True)
    except (EOFError, KeyboardInterrupt):
        return 0
    except (SignInFailed, openai.APIError, requests.RequestException) as error:
        print(f"device_agent: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
