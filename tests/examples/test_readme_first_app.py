"""README "Your first app": its shell commands, extracted and run as written against live servers.

Only the person's part is played by the test: signing in and allowing at the authorization URL the
commands print (through the server's real forms), pasting the code, and confirming the sign-out.
"""

from __future__ import annotations

import queue
import re
import subprocess
import threading
from html import unescape
from urllib.parse import parse_qsl
from urllib.parse import urljoin
from urllib.parse import urlsplit

import requests

from shared.config import PROJECT_ROOT
from tests.support.accounts import csrf_token
from tests.support.oauth import AppUser

SECTION = "## Your first app"


def readme_blocks() -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text()
    section = text.split("\n" + SECTION + "\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


class Shell:
    """One bash, like the developer's terminal: variables and functions carry from block to block."""

    def __init__(self, cwd, timeout: float = 30):
        self.timeout = timeout
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=cwd,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(
            target=lambda: [self.lines.put(line) for line in self.process.stdout], daemon=True
        )
        self.reader.start()

    def run(self, script: str) -> str:
        self.process.stdin.write(script + "\necho; echo __block_done__\n")
        self.process.stdin.flush()
        out = []
        while (line := self.lines.get(timeout=self.timeout)) != "__block_done__\n":
            out.append(line)
        return "".join(out).strip()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)
        self.reader.join(10)  # it stops at end of output
        self.process.stdout.close()


def _form(page: requests.Response) -> tuple[str, dict]:
    """The page's form: its action and the values of its inputs (hidden ones included)."""
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', page.text).group(1))
    fields = {
        unescape(name): unescape(value)
        for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text)
    }
    return urljoin(page.url, action), fields


def test_the_readme_commands_sign_in_call_refresh_revoke_and_sign_out(live_auth, start_resource, cli, tmp_path):
    demo = cli.ok("demo", "--env-file", str(tmp_path / "instance" / "demo.env"), "--json").json
    resource = start_resource(
        live_auth.url,
        demo["resource_client"]["client_id"],
        demo["resource_client"]["client_secret"],
        resource_cache_ttl=0,
    )
    blocks = [
        block.replace("http://127.0.0.1:5000", live_auth.url).replace("http://127.0.0.1:5001", resource.url)
        for block in readme_blocks()
    ]
    setup, authorize, paste, exchange, call, refresh, revoke, sign_out = blocks
    shell = Shell(tmp_path)
    try:
        shell.run(setup)
        url = shell.run(authorize).splitlines()[-1]

        # The person: signs in at the printed URL and allows; the browser lands on the redirect URI.
        person = live_auth.browser()
        person.login(
            AppUser(id=0, email=demo["user"]["email"], sub=demo["user"]["sub"], password=demo["user"]["password"])
        )
        redirect = person.authorize(dict(parse_qsl(urlsplit(url).query)))
        assert redirect.headers["Location"].startswith("http://127.0.0.1:8765/callback?")
        callback = dict(parse_qsl(urlsplit(redirect.headers["Location"]).query))
        assert callback["state"] == shell.run("echo $STATE").strip()
        assert paste.strip() == "CODE=paste-the-code-here"
        shell.run(f"CODE={callback['code']}")

        tokens = shell.run(exchange)
        assert '"refresh_token"' in tokens and '"id_token"' in tokens, tokens
        assert "[demo model] You said: Hello!" in shell.run(call)
        first_access = shell.run("echo $ACCESS_TOKEN")
        refreshed = shell.run(refresh)
        assert '"access_token"' in refreshed and shell.run("echo $ACCESS_TOKEN") != first_access, refreshed
        revoked = shell.run(revoke).splitlines()
        assert revoked[0] == "200" and revoked[-1] == "401", revoked
        assert "invalid_token" in revoked[1]

        # The person follows the sign-out URL and confirms.
        confirm = person.http.get(shell.run(sign_out).splitlines()[-1], timeout=10)
        action, fields = _form(confirm)
        assert fields["csrf_token"] == csrf_token(confirm.text) and fields["id_token_hint"]
        done = person.http.post(action, data=fields, allow_redirects=False, timeout=10)
        assert done.is_redirect and done.headers["Location"] == "http://127.0.0.1:8000/"
    finally:
        shell.close()
