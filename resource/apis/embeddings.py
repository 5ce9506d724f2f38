"""``POST /v1/embeddings``: one vector per input string, as floats or base64 little-endian float32."""

from __future__ import annotations

import base64
import struct

from flask import Blueprint

from resource.apis import account
from resource.apis import json_body
from resource.apis import require_string
from resource.apis import spend_at_most
from resource.apis import state
from resource.apis.models import resolve
from resource.auth import require_scope
from resource.backends.demo import count_tokens
from resource.errors import bad_request
from resource.limits import rate_limited
from resource.responses import json_response

bp = Blueprint("embeddings", __name__, url_prefix="/v1")
SCOPE = "embeddings:create"
MAX_INPUTS = 2048
MAX_INPUT_CHARS = 32_000
ENCODINGS = ("float", "base64")


def parse_input(body: dict) -> list[str]:
    texts = body.get("input")
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts or not all(isinstance(text, str) for text in texts):
        raise bad_request("'input' must be a string or a non-empty array of strings.", param="input")
    if len(texts) > MAX_INPUTS:
        raise bad_request(f"'input' may hold at most {MAX_INPUTS} strings.", param="input")
    if any(not text for text in texts):
        raise bad_request("'input' must not contain empty strings.", param="input")
    if any(len(text) > MAX_INPUT_CHARS for text in texts):
        raise bad_request(f"each input may be at most {MAX_INPUT_CHARS} characters.", param="input")
    return texts


def _encode(vector: list[float], encoding: str):
    if encoding == "float":
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


@bp.post("/embeddings")
@require_scope(SCOPE)
@rate_limited
def create_embeddings():
    body = json_body()
    model = require_string(body, "model")
    texts = parse_input(body)
    encoding = body.get("encoding_format") or "float"
    if encoding not in ENCODINGS:
        raise bad_request("'encoding_format' must be 'float' or 'base64'.", param="encoding_format")
    backend = state().embeddings
    model = resolve(model, backend)
    spend_at_most(sum(count_tokens(text) for text in texts), answer_needed=False)
    result = backend.embed(model, texts)
    # Charged before the size is compared: the backend has done (and perhaps paid for) the work.
    account("embeddings", model, result.prompt_tokens, 0)
    dimensions = body.get("dimensions")
    if dimensions is not None and dimensions != len(result.vectors[0]):
        raise bad_request(f"'dimensions' must be {len(result.vectors[0])} for {model}.", param="dimensions")
    return json_response(
        {
            "object": "list",
            "data": [
                {"object": "embedding", "index": index, "embedding": _encode(vector, encoding)}
                for index, vector in enumerate(result.vectors)
            ],
            "model": model,
            "usage": {"prompt_tokens": result.prompt_tokens, "total_tokens": result.prompt_tokens},
        }
    )
