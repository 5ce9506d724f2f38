"""The fallback embedding model: deterministic lexical features hashed into 384 dimensions.

Used when the optional ``embeddings`` extra (sentence-transformers and the packaged
all-MiniLM-L6-v2) is not installed. Each lower-cased word and each character trigram of
``#word#`` is hashed (BLAKE2b) to a dimension and a sign (the "hashing trick"), words weighing
twice a trigram; the vector is L2-normalised. Texts sharing words and spellings get a high cosine
similarity; there is no semantics beyond that. Tokens are counted as words.
"""

from __future__ import annotations

import hashlib
import math
import re

from resource.backends import Embedded

MODEL = "lexical-hash-384"
DIMENSIONS = 384
_WORD = re.compile(r"\w+", re.UNICODE)


def _features(text: str):
    for word in _WORD.findall(text.lower()):
        yield word, 1.0
        padded = f"#{word}#"
        for start in range(len(padded) - 2):
            yield padded[start : start + 3], 0.5


def embed_text(text: str) -> list[float]:
    vector = [0.0] * DIMENSIONS
    for feature, weight in _features(text):
        hashed = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "big")
        sign = 1.0 if hashed >> 63 else -1.0
        vector[hashed % DIMENSIONS] += sign * weight
    norm = math.sqrt(sum(value * value for value in vector))
    return [value / norm for value in vector] if norm else vector


class LexicalEmbeddings:
    def models(self) -> list[str]:
        return [MODEL]

    def embed(self, model: str, texts: list[str]) -> Embedded:
        return Embedded([embed_text(text) for text in texts], sum(len(_WORD.findall(t)) for t in texts))
