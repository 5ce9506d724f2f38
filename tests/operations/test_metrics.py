"""Prometheus metrics at /metrics on both apps: requests by endpoint and status, tokens by grant,
the introspection cache, behind an optional bearer secret, summed over gunicorn's workers."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from shared.config import PROJECT_ROOT
from tests.support.ports import free_port


def scrape(url: str, token: str | None = None) -> dict[tuple, float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.get(url + "/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_both_apps_count_requests_tokens_and_cache_hits(stack):
    auth_before, resource_before = scrape(stack.auth.url), scrape(stack.resource.url)
    token = stack.token()
    for _ in range(3):
        assert stack.get("/v1/models", token).status_code == 200
    assert stack.get("/v1/models", "unknown-token").status_code == 401
    auth, resource = scrape(stack.auth.url), scrape(stack.resource.url)

    def delta(now, before, name, **labels):
        return value(now, name, **labels) - value(before, name, **labels)

    models = dict(app="resource", endpoint="/v1/models", method="GET")
    assert delta(resource, resource_before, "http_requests_total", **models, status="200") == 3
    assert delta(resource, resource_before, "http_requests_total", **models, status="401") == 1
    assert (
        delta(resource, resource_before, "http_request_duration_seconds_count", app="resource", endpoint="/v1/models")
        == 4
    )
    # The first call and the unknown token asked the authorization server; the two others did not.
    assert delta(resource, resource_before, "resource_introspection_cache_total", result="hit") == 2
    assert delta(resource, resource_before, "resource_introspection_cache_total", result="miss") == 2
    assert delta(auth, auth_before, "authserver_tokens_issued_total", grant_type="client_credentials") == 1
    assert (
        delta(
            auth,
            auth_before,
            "http_requests_total",
            app="authserver",
            endpoint="/oauth/introspect",
            method="POST",
            status="200",
        )
        == 2
    )


def test_metrics_behind_a_bearer_secret(database_url, start_auth):
    auth = start_auth(database_url, authserver_metrics_token="metrics-secret")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "metrics-secret"}):
        refused = requests.get(auth.url + "/metrics", headers=headers, timeout=10)
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
        assert refused.headers["WWW-Authenticate"].startswith("Bearer ")
    assert scrape(auth.url, "metrics-secret")


@pytest.fixture
def sqlite_instance(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AUTHSERVER_", "REDIS_"))}
    env.update(AUTHSERVER_INSTANCE_PATH=str(tmp_path / "instance"), AUTHSERVER_SECRET_KEY="metrics-test")
    subprocess.run(
        [sys.executable, "manage.py", "db", "upgrade"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return env


def test_under_gunicorn_every_worker_is_counted(tmp_path, sqlite_instance):
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    port = free_port()
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    server = subprocess.Popen(
        [gunicorn, "-w", "3", "--graceful-timeout", "2", "-b", f"127.0.0.1:{port}", "authserver.wsgi:app"],
        cwd=PROJECT_ROOT,
        env={**sqlite_instance, "PROMETHEUS_MULTIPROC_DIR": str(multiproc)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/healthz", timeout=30)
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        # A new connection each time, until a second worker has accepted one: which worker accepts
        # is the kernel's choice, and on a busy machine one worker can take dozens in a row.
        sent = 1
        deadline = time.monotonic() + 60
        while sent < 30 or len(list(multiproc.glob("counter_*.db"))) < 2:
            assert time.monotonic() < deadline, "one worker accepted every connection for a minute"
            requests.get(url + "/healthz", timeout=30, headers={"Connection": "close"})
            sent += 1
        samples = scrape(url)
        assert (
            value(samples, "http_requests_total", app="authserver", endpoint="/healthz", method="GET", status="200")
            == sent
        )
    finally:
        server.terminate()
        server.wait(30)
