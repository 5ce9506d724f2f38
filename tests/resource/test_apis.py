"""The OpenAI-compatible endpoints on the built-in backends: shapes, scopes, validation."""

from __future__ import annotations

import base64
import json
import math
import struct

import pytest
import requests

from resource.backends.lexical import embed_text

ALL = "models:read embeddings:create chat:create"


@pytest.fixture
def call(resource, fake_as):
    token = fake_as.grant("all-scopes", ALL, sub="user-1", client_id="app-1")

    def call(method, path, headers=None, **kwargs):
        return requests.request(
            method,
            resource.url + path,
            timeout=10,
            headers={"Authorization": f"Bearer {token}", **(headers or {})},
            **kwargs,
        )

    return call


def model_ids(call) -> set[str]:
    return {model["id"] for model in call("GET", "/v1/models").json()["data"]}


def test_models_lists_chat_and_embedding_models(call):
    response = call("GET", "/v1/models")
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list"
    assert {"demo-chat", "lexical-hash-384"} <= {model["id"] for model in body["data"]}
    assert all(model["object"] == "model" for model in body["data"])
    assert call("GET", "/v1/models/demo-chat").json()["id"] == "demo-chat"
    assert call("GET", "/v1/models/nope").json()["error"]["code"] == "model_not_found"


def test_me_returns_the_tokens_identity(call):
    me = call("GET", "/v1/me").json()
    assert {key: me[key] for key in ("sub", "client_id")} == {"sub": "user-1", "client_id": "app-1"}
    assert set(me["scope"].split()) == set(ALL.split())


def test_embeddings_float_and_base64(call):
    body = {"model": "lexical-hash-384", "input": ["the cat sat", "the cat sat on the mat", "quantum flux"]}
    floats = call("POST", "/v1/embeddings", json=body).json()
    vectors = [row["embedding"] for row in floats["data"]]
    assert [row["index"] for row in floats["data"]] == [0, 1, 2]
    assert all(len(vector) == 384 for vector in vectors)
    assert math.isclose(sum(v * v for v in vectors[0]), 1.0, rel_tol=1e-9)
    similar = sum(a * b for a, b in zip(vectors[0], vectors[1]))
    unrelated = sum(a * b for a, b in zip(vectors[0], vectors[2]))
    assert similar > 0.5 > unrelated
    assert floats["usage"] == {"prompt_tokens": 11, "total_tokens": 11}
    encoded = call("POST", "/v1/embeddings", json={**body, "encoding_format": "base64"}).json()
    decoded = struct.unpack("<384f", base64.b64decode(encoded["data"][0]["embedding"]))
    assert decoded == pytest.approx(vectors[0], abs=1e-6)


def test_lexical_embedding_is_deterministic():
    assert embed_text("Hello, World") == embed_text("hello world")


@pytest.mark.parametrize(
    "body, param",
    [
        ({"input": "x"}, "model"),
        ({"model": "lexical-hash-384"}, "input"),
        ({"model": "lexical-hash-384", "input": []}, "input"),
        ({"model": "lexical-hash-384", "input": [1, 2]}, "input"),
        ({"model": "lexical-hash-384", "input": ""}, "input"),
        ({"model": "lexical-hash-384", "input": "x", "encoding_format": "int8"}, "encoding_format"),
        ({"model": "lexical-hash-384", "input": "x", "dimensions": 12}, "dimensions"),
    ],
)
def test_embeddings_validation(call, body, param):
    response = call("POST", "/v1/embeddings", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert response.json()["error"]["param"] == param


def test_unknown_model_is_404_model_not_found(call):
    for path, body in (
        ("/v1/embeddings", {"model": "gpt-9", "input": "x"}),
        ("/v1/chat/completions", {"model": "gpt-9", "messages": [{"role": "user", "content": "x"}]}),
    ):
        response = call("POST", path, json=body)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "model_not_found"


def test_every_listed_model_id_is_valid_in_every_call(call):
    for model in model_ids(call):
        chat = call(
            "POST", "/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": "x"}]}
        )
        assert chat.status_code == 200 and chat.json()["model"] == "demo-chat"
        embedded = call("POST", "/v1/embeddings", json={"model": model, "input": "x"})
        assert embedded.status_code == 200 and embedded.json()["model"] == "lexical-hash-384"


def test_chat_completion_is_labelled_and_reports_usage(call):
    body = {
        "model": "demo-chat",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello there"}],
    }
    completion = call("POST", "/v1/chat/completions", json=body).json()
    assert completion["object"] == "chat.completion"
    assert completion["choices"][0]["message"] == {"role": "assistant", "content": "[demo model] You said: hello there"}
    assert completion["choices"][0]["finish_reason"] == "stop"
    assert completion["usage"] == {"prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10}
    truncated = call("POST", "/v1/chat/completions", json={**body, "max_tokens": 2}).json()
    assert truncated["choices"][0]["finish_reason"] == "length"
    assert truncated["usage"]["completion_tokens"] == 2


def sse_events(response) -> list[str]:
    return [line[len("data: ") :] for line in response.iter_lines(decode_unicode=True) if line]


def test_chat_stream_is_sse_chunks_ending_with_done(call):
    body = {"model": "demo-chat", "stream": True, "messages": [{"role": "user", "content": "one two"}]}
    response = call("POST", "/v1/chat/completions", json=body, stream=True)
    assert response.headers["Content-Type"].startswith("text/event-stream")
    events = sse_events(response)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    text = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks)
    assert text == "[demo model] You said: one two"
    assert len(chunks) >= 6 and chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all("usage" not in chunk for chunk in chunks)
    with_usage = call(
        "POST", "/v1/chat/completions", stream=True, json={**body, "stream_options": {"include_usage": True}}
    )
    last = json.loads(sse_events(with_usage)[-2])
    assert last["choices"] == [] and last["usage"]["completion_tokens"] == 6


@pytest.mark.parametrize(
    "body, param",
    [
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": "demo-chat"}, "messages"),
        ({"model": "demo-chat", "messages": []}, "messages"),
        ({"model": "demo-chat", "messages": ["hi"]}, "messages[0]"),
        ({"model": "demo-chat", "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({"model": "demo-chat", "messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"model": "demo-chat", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}, "stream"),
        ({"model": "demo-chat", "messages": [{"role": "user", "content": "x"}], "temperature": 3}, "temperature"),
        ({"model": "demo-chat", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0}, "max_tokens"),
        ({"model": "demo-chat", "messages": [{"role": "user", "content": "x"}], "n": 2}, "n"),
    ],
)
def test_chat_validation(call, body, param):
    response = call("POST", "/v1/chat/completions", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_body_must_be_a_json_object(call):
    response = call("POST", "/v1/chat/completions", data="not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    "data",
    [
        "[" * 100_000 + "]" * 100_000,  # deep enough to exhaust the parser's recursion
        '{"model": "demo-chat", "messages": [{"role": "user", "content": "x"}], "temperature": NaN}',
        '{"model": "demo-chat", "messages": [{"role": "user", "content": "x"}], "top_p": -Infinity}',
    ],
)
def test_bodies_that_are_not_json_are_400_never_500(call, data):
    response = call("POST", "/v1/chat/completions", data=data, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_unknown_path_is_404_in_openai_shape(call):
    response = call("GET", "/v1/nothing")
    assert response.status_code == 404 and "message" in response.json()["error"]
