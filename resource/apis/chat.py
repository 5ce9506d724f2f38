"""``POST /v1/chat/completions``, whole or streamed as server-sent events in OpenAI's chunk format."""

from __future__ import annotations

import json

from flask import Blueprint
from flask import Response
from flask import g

from resource.apis import account
from resource.apis import cap_completion
from resource.apis import json_body
from resource.apis import require_string
from resource.apis import spend_at_most
from resource.apis import state
from resource.apis.models import resolve
from resource.auth import require_scope
from resource.backends.demo import count_tokens
from resource.backends.demo import message_text
from resource.errors import ApiError
from resource.errors import bad_request
from resource.limits import rate_limited
from resource.responses import json_response

bp = Blueprint("chat", __name__, url_prefix="/v1")
SCOPE = "chat:create"
ROLES = ("system", "developer", "user", "assistant", "tool")
MAX_MESSAGES = 1024


def _check_message(index: int, message) -> None:
    param = f"messages[{index}]"
    if not isinstance(message, dict):
        raise bad_request(f"'{param}' must be an object.", param=param)
    if message.get("role") not in ROLES:
        raise bad_request(f"'{param}.role' must be one of {', '.join(ROLES)}.", param=f"{param}.role")
    content = message.get("content")
    if content is None and message["role"] == "assistant":
        return
    if isinstance(content, str):
        return
    if (
        isinstance(content, list)
        and content
        and all(
            isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
            for part in content
        )
    ):
        return
    raise bad_request(f"'{param}.content' must be a string or an array of text parts.", param=f"{param}.content")


def _check_number(body: dict, name: str, low: float, high: float | None, integer: bool = False) -> None:
    value = body.get(name)
    if value is None:
        return
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise bad_request(f"'{name}' must be {'a whole number ' if integer else ''}{bound}.", param=name)


def validate(body: dict) -> dict:
    require_string(body, "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("'messages' must be a non-empty array.", param="messages")
    if len(messages) > MAX_MESSAGES:
        raise bad_request(f"'messages' may hold at most {MAX_MESSAGES} messages.", param="messages")
    for index, message in enumerate(messages):
        _check_message(index, message)
    if not isinstance(body.get("stream", False), bool):
        raise bad_request("'stream' must be a boolean.", param="stream")
    if body.get("stream_options") is not None:
        if not body.get("stream"):
            raise bad_request("'stream_options' is only allowed with 'stream': true.", param="stream_options")
        if not isinstance(body["stream_options"], dict):
            raise bad_request("'stream_options' must be an object.", param="stream_options")
    _check_number(body, "temperature", 0, 2)
    _check_number(body, "top_p", 0, 1)
    _check_number(body, "max_tokens", 1, None, integer=True)
    _check_number(body, "max_completion_tokens", 1, None, integer=True)
    if body.get("n") not in (None, 1):
        raise bad_request("Only 'n': 1 is supported.", param="n")
    return body


@bp.post("/chat/completions")
@require_scope(SCOPE)
@rate_limited
def create_chat_completion():
    body = validate(json_body())
    backend = state().chat
    body["model"] = resolve(body["model"], backend)
    cap_completion(body, spend_at_most(prompt_tokens(body["messages"])))
    if body.get("stream"):
        return _stream(backend, body)
    completion = backend.complete(body)
    account("chat.completions", body["model"], *token_counts(completion.get("usage")))
    return json_response(completion)


def prompt_tokens(messages: list[dict]) -> int:
    """The input's size before the model runs, counted as the built-in backends count it."""
    return sum(count_tokens(message_text(message)) for message in messages)


def token_counts(usage) -> tuple[int, int]:
    """Prompt and completion tokens of a backend's ``usage`` object; what is not a count counts 0."""
    usage = usage if isinstance(usage, dict) else {}
    counts = (usage.get("prompt_tokens"), usage.get("completion_tokens"))
    return tuple(count if isinstance(count, int) and not isinstance(count, bool) else 0 for count in counts)


def _stream(backend, body: dict) -> Response:
    # The backend call starts here, so an upstream refusal is still a clean HTTP error response.
    events = backend.stream(body)
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    info, resources, scopes = g.token, state(), g.required_scopes

    def generate():
        usage = None
        try:
            for event in events:
                if event.get("usage"):
                    usage = event["usage"]
                if not include_usage:
                    if not event.get("choices"):
                        continue
                    event.pop("usage", None)
                yield f"data: {json.dumps(event, separators=(',', ':'))}\n\n"
            yield "data: [DONE]\n\n"
        except ApiError as exc:
            # Headers are gone already: the error travels as an event, as OpenAI's own streams do.
            yield f"data: {json.dumps(exc.as_dict())}\n\n"
        finally:
            # A client that hangs up mid-stream must not keep the upstream connection open.
            getattr(events, "close", lambda: None)()
            account(
                "chat.completions", body["model"], *token_counts(usage), info=info, resources=resources, scopes=scopes
            )

    return Response(
        generate(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
