"""schemathesis against both live apps, from docs/openapi.yaml: no 5xx, every answer in its documented
shape (errors in RFC 6749's or the OpenAI API's). Bounded here with a fixed seed; ``make fuzz`` runs
it longer (FUZZ_MAX_EXAMPLES)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest
import requests

from authserver.registration.services import create_initial_access_token
from shared.config import PROJECT_ROOT
from tests.resource.conftest import database_url  # noqa: F401  (SQLite only: a minute, not two)

SPEC = PROJECT_ROOT / "docs" / "openapi.yaml"
SCHEMATHESIS = os.path.join(os.path.dirname(sys.executable), "schemathesis")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
MAX_EXAMPLES = os.environ.get("FUZZ_MAX_EXAMPLES", "25")


def fuzz(tmp_path, url: str, tag: str, *auth: str) -> None:
    completed = subprocess.run(
        [
            SCHEMATHESIS,
            "run",
            str(SPEC),
            "--url",
            url,
            "--include-tag",
            tag,
            "--checks",
            CHECKS,
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            "20261204",
            "--generation-deterministic",
            "--workers",
            "1",
            "--request-timeout",
            "20",
            "--no-color",
            "--phases",
            "examples,coverage,fuzzing",
            *auth,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-2000:]


def registration_config(tmp_path, stack) -> None:
    """schemathesis.toml: the resource client's Basic credentials everywhere, except at registration
    (an initial access token, RFC 7591 §3) and a registered client's configuration endpoint (its
    registration access token, RFC 7592 §2), so the fuzzer gets past authentication there too."""
    client = stack.resource_client
    initial = stack.auth.run(lambda: create_initial_access_token()[1])
    registered = requests.post(
        stack.auth.url + "/oauth/register",
        json={"client_name": "Fuzzed", "grant_types": ["client_credentials"], "response_types": []},
        headers={"Authorization": f"Bearer {initial}"},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    body = registered.json()
    basic = base64.b64encode(f"{client.client_id}:{client.client_secret}".encode()).decode()
    (tmp_path / "schemathesis.toml").write_text(
        f"""
headers = {{ Authorization = "Basic {basic}" }}

[[operations]]
include-path = "/oauth/register"
headers = {{ Authorization = "Bearer {initial}" }}

[[operations]]
include-path = "/oauth/register/{{client_id}}"
headers = {{ Authorization = "Bearer {body["registration_access_token"]}" }}
parameters = {{ client_id = "{body["client_id"]}" }}
"""
    )


@pytest.mark.parametrize("tag", ["authserver", "resource"])
def test_fuzzing_finds_no_5xx_and_no_error_out_of_shape(stack, tmp_path, tag):
    if tag == "authserver":
        registration_config(tmp_path, stack)
        fuzz(tmp_path, stack.auth.url, tag)
    else:
        fuzz(tmp_path, stack.resource.url, tag, "--header", f"Authorization: Bearer {stack.token()}")
