"""schemathesis against both live apps, from docs/openapi.yaml: no 5xx, every answer in its documented
shape (errors in RFC 6749's or the OpenAI API's). Bounded here with a fixed seed; ``make fuzz`` runs
it longer (FUZZ_MAX_EXAMPLES)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

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


@pytest.mark.parametrize("tag", ["authserver", "resource"])
def test_fuzzing_finds_no_5xx_and_no_error_out_of_shape(stack, tmp_path, tag):
    if tag == "authserver":
        client = stack.resource_client
        fuzz(tmp_path, stack.auth.url, tag, "--auth", f"{client.client_id}:{client.client_secret}")
    else:
        fuzz(tmp_path, stack.resource.url, tag, "--header", f"Authorization: Bearer {stack.token()}")
