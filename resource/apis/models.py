"""``GET /v1/models``: every model id the configured backends serve."""

from __future__ import annotations

from flask import Blueprint

from resource.apis import account
from resource.apis import state
from resource.auth import require_scope
from resource.errors import model_not_found
from resource.limits import rate_limited
from resource.responses import json_response

bp = Blueprint("models", __name__, url_prefix="/v1")
SCOPE = "models:read"


def _model(model_id: str) -> dict:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "ai-authserver"}


def all_models() -> list[str]:
    resources = state()
    return list(dict.fromkeys(resources.chat.models() + resources.embeddings.models()))


def resolve(model: str, backend) -> str:
    """The backend's model for a requested id. Every id ``/v1/models`` lists is valid in every call
    (the contract's promise): one this backend does not serve gets the backend's first model."""
    served = backend.models()
    if model in served:
        return model
    if model in all_models() and served:
        return served[0]
    raise model_not_found(model)


@bp.get("/models")
@require_scope(SCOPE)
@rate_limited
def list_models():
    models = all_models()
    account("models", None, 0, 0)
    return json_response({"object": "list", "data": [_model(model_id) for model_id in models]})


@bp.get("/models/<path:model_id>")
@require_scope(SCOPE)
@rate_limited
def retrieve_model(model_id: str):
    if model_id not in all_models():
        raise model_not_found(model_id)
    account("models", model_id, 0, 0)
    return json_response(_model(model_id))
