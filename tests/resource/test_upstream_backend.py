"""The ``openai`` backend against a fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
import requests

from tests.support.ports import free_port

ALL = "models:read embeddings:create chat:create"


@pytest.fixture
def proxied(fake_as, fake_upstream, start_resource):
    server = start_resource(
        fake_as.url,
        chat_backend="openai",
        embeddings_backend="openai",
        openai_base_url=fake_upstream.url,
        openai_api_key="upstream-key",
        upstream_timeout=0.5,
    )
    token = fake_as.grant("proxy-token", ALL)

    def call(method, path, **kwargs):
        return requests.request(
            method, server.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10, **kwargs
        )

    return call


CHAT = {"model": "up-chat", "messages": [{"role": "user", "content": "hi"}]}


def test_models_and_completion_come_from_upstream_with_its_key(proxied, fake_upstream):
    assert {m["id"] for m in proxied("GET", "/v1/models").json()["data"]} == {"up-chat", "up-embed"}
    completion = proxied("POST", "/v1/chat/completions", json=CHAT).json()
    assert completion["choices"][0]["message"]["content"] == "upstream says hi"
    assert completion["usage"]["total_tokens"] == 6
    assert fake_upstream.requests[-1]["authorization"] == "Bearer upstream-key"


def test_embeddings_are_forwarded_and_reencoded(proxied):
    body = {"model": "up-embed", "input": ["a", "b"], "encoding_format": "base64"}
    result = proxied("POST", "/v1/embeddings", json=body).json()
    assert len(result["data"]) == 2 and isinstance(result["data"][0]["embedding"], str)
    assert result["usage"]["prompt_tokens"] == 7


def test_stream_passes_through_chunk_by_chunk(proxied, fake_upstream):
    fake_upstream.hold_stream = True
    response = proxied("POST", "/v1/chat/completions", json={**CHAT, "stream": True}, stream=True)
    lines = response.iter_lines(decode_unicode=True)
    first = next(line for line in lines if line)
    # The upstream is still holding the rest: this chunk crossed the proxy on its own.
    assert json.loads(first[len("data: ") :])["choices"][0]["delta"]["content"] == "up"
    assert not fake_upstream.release.is_set()
    fake_upstream.release.set()
    rest = [line for line in lines if line]
    assert rest[-1] == "data: [DONE]"
    assert all("usage" not in json.loads(line[6:]) for line in rest[:-1])
    assert fake_upstream.requests[-1]["stream_options"] == {"include_usage": True}


def test_upstream_failing_mid_stream_ends_with_an_error_event(proxied, fake_upstream):
    fake_upstream.break_stream = True
    response = proxied("POST", "/v1/chat/completions", json={**CHAT, "stream": True})
    assert response.status_code == 200
    events = [line[len("data: ") :] for line in response.text.splitlines() if line]
    assert json.loads(events[0])["choices"][0]["delta"]["content"] == "up"
    error = json.loads(events[-1])["error"]
    assert error["code"] == "upstream_error" and "model crashed" in error["message"]
    assert "[DONE]" not in events


@pytest.mark.parametrize(
    "status, body, expected, code",
    [
        (500, {"error": {"message": "boom"}}, 502, "upstream_error"),
        (401, {"error": {"message": "bad key"}}, 502, "upstream_error"),
        (404, {"error": {"message": "no such model"}}, 404, "model_not_found"),
        (
            400,
            {"error": {"message": "context too long", "code": "context_length_exceeded"}},
            400,
            "context_length_exceeded",
        ),
        (429, {"error": {"message": "slow down"}}, 429, "upstream_rate_limited"),
    ],
)
def test_upstream_errors_are_mapped(proxied, fake_upstream, status, body, expected, code):
    assert proxied("GET", "/v1/models").status_code == 200  # the model list is cached for a minute
    fake_upstream.failure = (status, body)
    for stream in (False, True):
        response = proxied("POST", "/v1/chat/completions", json={**CHAT, "stream": stream})
        assert response.status_code == expected
        assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    "path, body",
    [
        ("/v1/chat/completions", ["not", "an", "object"]),
        ("/v1/embeddings", ["not", "an", "object"]),
        ("/v1/embeddings", {"data": "not rows"}),
        ("/v1/embeddings", {"data": [{"index": 0}]}),
        ("/v1/embeddings", {"data": []}),
    ],
)
def test_an_upstream_answer_in_the_wrong_shape_is_502(proxied, fake_upstream, path, body):
    assert proxied("GET", "/v1/models").status_code == 200
    fake_upstream.failure = (200, body)
    response = proxied("POST", path, json={**CHAT, "model": "up-embed", "input": "x"})
    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_error"


def test_unusable_upstream_usage_counts_zero_tokens(proxied, fake_upstream):
    assert proxied("GET", "/v1/models").status_code == 200
    fake_upstream.failure = (200, {"object": "chat.completion", "choices": [], "usage": "lots"})
    assert proxied("POST", "/v1/chat/completions", json=CHAT).json()["usage"] == "lots"


def test_upstream_timeout_is_504(proxied, fake_upstream):
    assert proxied("GET", "/v1/models").status_code == 200
    fake_upstream.delay = 1.0
    response = proxied("POST", "/v1/chat/completions", json=CHAT)
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "upstream_timeout"


def test_unreachable_upstream_is_502(fake_as, start_resource):
    server = start_resource(fake_as.url, chat_backend="openai", openai_base_url=f"http://127.0.0.1:{free_port()}/v1")
    token = fake_as.grant("t", "chat:create models:read")
    response = requests.get(server.url + "/v1/models", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 502
    assert response.json()["error"]["type"] == "server_error"


@pytest.mark.parametrize("body", [["not", "an", "object"], "just text", {"error": ["a", "list"]}])
def test_an_upstream_refusal_in_the_wrong_shape_keeps_its_status(proxied, fake_upstream, body):
    assert proxied("GET", "/v1/models").status_code == 200
    fake_upstream.failure = (400, body)
    response = proxied("POST", "/v1/chat/completions", json=CHAT)
    assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_request_error"


def test_upstream_model_ids_that_are_not_strings_are_ignored(proxied, fake_upstream):
    fake_upstream.failure = (200, {"object": "list", "data": [{"id": ["up-chat"]}, {"id": {}}, {"id": "up-chat"}]})
    assert {m["id"] for m in proxied("GET", "/v1/models").json()["data"]} == {"up-chat"}
