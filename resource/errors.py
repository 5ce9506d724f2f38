"""Errors in OpenAI's shape, so the official SDK raises its typed exceptions (by status code)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response

from resource.responses import json_response
from shared.metrics import UPSTREAM_ERRORS

INVALID_REQUEST = "invalid_request_error"


class ApiError(Exception):
    """Raised anywhere in a request; rendered as ``{"error": {"message", "type", "code", "param"}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = INVALID_REQUEST,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def as_dict(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "code": self.code, "param": self.param}}

    def response(self) -> Response:
        headers = {**self.headers, "Cache-Control": "no-store"} if self.status in (401, 403) else self.headers
        return json_response(self.as_dict(), self.status, headers)


def bad_request(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, message, param=param)


def model_not_found(model: str) -> ApiError:
    return ApiError(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
        param="model",
    )


def unavailable(message: str, retry_after: int = 1) -> ApiError:
    return ApiError(
        503, message, type_="server_error", code="service_unavailable", headers={"Retry-After": str(retry_after)}
    )


def upstream_error(message: str, timeout: bool = False) -> ApiError:
    UPSTREAM_ERRORS.labels("resource", "model", "timeout" if timeout else "error").inc()
    if timeout:
        return ApiError(504, message, type_="server_error", code="upstream_timeout")
    return ApiError(502, message, type_="server_error", code="upstream_error")
