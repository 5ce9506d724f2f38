"""The MCP tools: each the same backends, validation, scope and metering as its /v1 API.

A tool's own failures (bad arguments, a backend that is down) are results with ``isError`` (MCP
tools spec: the model can read them and correct itself), not protocol errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from mcp_types import CallToolResult
from mcp_types import TextContent
from mcp_types import Tool

from resource.apis import account
from resource.apis import cap_completion
from resource.apis import spend_at_most
from resource.apis import state
from resource.apis.chat import SCOPE as CHAT_SCOPE
from resource.apis.chat import prompt_tokens as input_tokens
from resource.apis.chat import token_counts
from resource.apis.chat import validate as validate_chat
from resource.apis.embeddings import SCOPE as EMBEDDINGS_SCOPE
from resource.apis.embeddings import parse_input
from resource.apis.models import SCOPE as MODELS_SCOPE
from resource.apis.models import all_models
from resource.apis.models import resolve
from resource.backends.demo import count_tokens
from resource.errors import ApiError
from resource.errors import bad_request

_MODEL = {"type": "string", "description": "A model id from list_models; the backend's first model if left out."}


@dataclass(frozen=True)
class McpTool:
    name: str
    scope: str
    description: str
    input_schema: dict
    run: Callable[[dict], dict]

    def definition(self) -> Tool:
        return Tool(name=self.name, description=self.description, input_schema=self.input_schema)

    def call(self, arguments: dict) -> CallToolResult:
        """Run the tool; its answer is both structured content and the same JSON as text (MCP
        tools spec, for clients that read only text)."""
        try:
            answer = self.run(arguments)
        except ApiError as error:
            return CallToolResult(content=[TextContent(type="text", text=error.message)], is_error=True)
        text = json.dumps(answer, separators=(",", ":"))
        return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=answer, is_error=False)


def _model(arguments: dict, backend) -> str:
    model = arguments.get("model")
    if model is None:
        served = backend.models()
        if not served:
            raise ApiError(503, "No model is available.", type_="server_error", code="service_unavailable")
        return served[0]
    if not isinstance(model, str) or not model:
        raise bad_request("'model' must be a non-empty string.", param="model")
    return resolve(model, backend)


def list_models(arguments: dict) -> dict:
    models = all_models()
    account("mcp.list_models", None, 0, 0)
    return {"models": models}


def embed(arguments: dict) -> dict:
    texts = parse_input(arguments)
    backend = state().embeddings
    model = _model(arguments, backend)
    spend_at_most(sum(count_tokens(text) for text in texts), answer_needed=False)
    result = backend.embed(model, texts)
    account("mcp.embed", model, result.prompt_tokens, 0)
    vectors = result.vectors[0] if isinstance(arguments.get("input"), str) else result.vectors
    return {"model": model, "embedding": vectors, "usage": {"prompt_tokens": result.prompt_tokens}}


def chat(arguments: dict) -> dict:
    backend = state().chat
    body = validate_chat({"model": _model(arguments, backend), "messages": arguments.get("messages")})
    cap_completion(body, spend_at_most(input_tokens(body["messages"])))
    completion = backend.complete(body)
    prompt_tokens, completion_tokens = token_counts(completion.get("usage"))
    account("mcp.chat", body["model"], prompt_tokens, completion_tokens)
    message = (completion.get("choices") or [{}])[0].get("message") or {}
    return {
        "model": body["model"],
        "content": message.get("content"),
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
    }


TOOLS = {
    tool.name: tool
    for tool in (
        McpTool(
            "list_models",
            MODELS_SCOPE,
            "List the ids of the AI models available to you.",
            {"type": "object", "properties": {}, "additionalProperties": False},
            list_models,
        ),
        McpTool(
            "embed",
            EMBEDDINGS_SCOPE,
            "Create an embedding vector of a text (or one per text of an array).",
            {
                "type": "object",
                "properties": {
                    "input": {
                        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                        "description": "The text to embed.",
                    },
                    "model": _MODEL,
                },
                "required": ["input"],
            },
            embed,
        ),
        McpTool(
            "chat",
            CHAT_SCOPE,
            "Ask an AI model: the conversation so far in, the assistant's reply out.",
            {
                "type": "object",
                "properties": {
                    "messages": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "properties": {
                                "role": {"type": "string", "enum": ["system", "developer", "user", "assistant"]},
                                "content": {"type": "string"},
                            },
                            "required": ["role", "content"],
                        },
                    },
                    "model": _MODEL,
                },
                "required": ["messages"],
            },
            chat,
        ),
    )
}
SCOPES = tuple(dict.fromkeys(tool.scope for tool in TOOLS.values()))
