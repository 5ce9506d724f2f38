"""The official openai SDK, unchanged, pointed at the resource server with a real access token."""

from __future__ import annotations

import math

import openai
import pytest

from tests.resource.e2e import ALL


def sdk(stack, token, server=None) -> openai.OpenAI:
    return openai.OpenAI(base_url=(server or stack.resource).url + "/v1", api_key=token, max_retries=0, timeout=10)


def test_models_embeddings_and_chat(stack):
    client = sdk(stack, stack.token(ALL))
    ids = [model.id for model in client.models.list()]
    assert "demo-chat" in ids
    embedding_model = next(model for model in ids if model != "demo-chat")
    # The SDK asks for base64 by default and decodes it itself.
    result = client.embeddings.create(model=embedding_model, input=["hello world", "hello there"])
    vectors = [row.embedding for row in result.data]
    assert len(vectors) == 2 and len(vectors[0]) == 384
    assert math.isclose(sum(v * v for v in vectors[0]), 1.0, rel_tol=1e-5)
    assert result.usage.prompt_tokens == 4
    as_floats = client.embeddings.create(model=embedding_model, input="hello world", encoding_format="float")
    assert as_floats.data[0].embedding == pytest.approx(vectors[0], abs=1e-6)

    completion = client.chat.completions.create(model="demo-chat", messages=[{"role": "user", "content": "hi there"}])
    assert completion.choices[0].message.content == "[demo model] You said: hi there"
    assert completion.usage.total_tokens == 2 + 6


def test_streamed_chat(stack):
    client = sdk(stack, stack.token("chat:create"))
    stream = client.chat.completions.create(
        model="demo-chat",
        stream=True,
        stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "stream me"}],
    )
    chunks = list(stream)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == "[demo model] You said: stream me"
    assert len([chunk for chunk in chunks if chunk.choices]) > 5
    assert chunks[-1].usage.completion_tokens == 6


def test_typed_errors_for_401_403_404_and_429(stack, start_resource):
    with pytest.raises(openai.AuthenticationError):
        sdk(stack, "not-a-real-token").models.list()
    with pytest.raises(openai.PermissionDeniedError) as denied:
        sdk(stack, stack.token("models:read")).chat.completions.create(
            model="demo-chat", messages=[{"role": "user", "content": "x"}]
        )
    assert denied.value.code == "insufficient_scope"
    with pytest.raises(openai.NotFoundError) as missing:
        sdk(stack, stack.token("chat:create")).chat.completions.create(
            model="gpt-nope", messages=[{"role": "user", "content": "x"}]
        )
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad:
        sdk(stack, stack.token("chat:create")).chat.completions.create(model="demo-chat", messages=[])
    assert bad.value.param == "messages"

    limited = start_resource(
        stack.auth.url, stack.resource_client.client_id, stack.resource_client.client_secret, rate_limit_per_minute=1
    )
    client = sdk(stack, stack.token("models:read"), server=limited)
    client.models.list()
    with pytest.raises(openai.RateLimitError) as limited_error:
        client.models.list()
    assert int(limited_error.value.response.headers["Retry-After"]) >= 1


def test_proxy_backend_streams_through_the_sdk(stack, start_resource, fake_upstream):
    proxy = start_resource(
        stack.auth.url,
        stack.resource_client.client_id,
        stack.resource_client.client_secret,
        chat_backend="openai",
        openai_base_url=fake_upstream.url,
    )
    client = sdk(stack, stack.token("chat:create"), server=proxy)
    chunks = list(
        client.chat.completions.create(model="up-chat", stream=True, messages=[{"role": "user", "content": "hi"}])
    )
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks) == "upstream"
    fake_upstream.failure = (500, {"error": {"message": "boom"}})
    with pytest.raises(openai.InternalServerError) as failed:
        client.chat.completions.create(model="up-chat", messages=[{"role": "user", "content": "hi"}])
    assert failed.value.status_code == 502
