"""The demo chat model: deterministic, no weights, clearly labelled in every answer.

It echoes the last user message so that clients, streaming and metering can be exercised end to
end without a GPU. Tokens are counted as whitespace-separated words.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

MODEL = "demo-chat"
PREFIX = "[demo model]"


def message_text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content or ""


def count_tokens(text: str) -> int:
    return len(text.split())


class DemoChat:
    def models(self) -> list[str]:
        return [MODEL]

    def _answer(self, request: dict) -> tuple[list[str], str, int]:
        messages = request["messages"]
        said = next((message_text(m) for m in reversed(messages) if m.get("role") == "user"), "")
        words = f"{PREFIX} You said: {said}".split()
        limit = request.get("max_completion_tokens") or request.get("max_tokens")
        finish = "stop"
        if limit and len(words) > limit:
            words, finish = words[:limit], "length"
        prompt_tokens = sum(count_tokens(message_text(m)) for m in messages)
        return words, finish, prompt_tokens

    def complete(self, request: dict) -> dict:
        words, finish, prompt_tokens = self._answer(request)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": " ".join(words)},
                    "finish_reason": finish,
                    "logprobs": None,
                }
            ],
            "usage": _usage(prompt_tokens, len(words)),
        }

    def stream(self, request: dict) -> Iterator[dict]:
        words, finish, prompt_tokens = self._answer(request)
        base = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": request["model"],
        }

        def chunk(delta: dict, finish_reason: str | None = None) -> dict:
            return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]}

        yield chunk({"role": "assistant", "content": ""})
        for index, word in enumerate(words):
            yield chunk({"content": word if index == 0 else " " + word})
        yield chunk({}, finish)
        yield {**base, "choices": [], "usage": _usage(prompt_tokens, len(words))}


def _usage(prompt: int, completion: int) -> dict:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
