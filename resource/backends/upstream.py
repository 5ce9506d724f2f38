"""The ``openai`` backend: forwards to any OpenAI-compatible upstream (vLLM, Ollama, OpenAI).

Streams pass through chunk by chunk as the upstream sends them. Upstream failures never reach the
caller as our own 401/403 (those would blame the caller's token): timeouts are 504, unreachable or
failing upstreams 502, and the upstream's own request errors keep their status and message.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator

import requests

from resource.backends import Embedded
from resource.errors import ApiError
from resource.errors import model_not_found
from resource.errors import upstream_error

log = logging.getLogger(__name__)

MODELS_TTL = 60.0
PASSED_THROUGH = (400, 404, 413, 422)


class OpenAIUpstream:
    def __init__(self, base_url: str, api_key: str | None, timeout: float, http: requests.Session):
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = (min(timeout, 10.0), timeout)
        self._http = http
        self._models: tuple[float, list[str]] | None = None
        self._lock = threading.Lock()

    def models(self) -> list[str]:
        with self._lock:
            if self._models and self._models[0] > time.monotonic():
                return self._models[1]
        body = _object(self._call("GET", "/models"))
        ids = [item["id"] for item in _rows(body) if isinstance(item, dict) and isinstance(item.get("id"), str)]
        with self._lock:
            self._models = (time.monotonic() + MODELS_TTL, ids)
        return ids

    def complete(self, request: dict) -> dict:
        return _object(self._call("POST", "/chat/completions", {**request, "stream": False}))

    def stream(self, request: dict) -> Iterator[dict]:
        # Ask for usage even if the caller did not: metering and quotas need it (stripped later).
        body = {
            **request,
            "stream": True,
            "stream_options": {**(request.get("stream_options") or {}), "include_usage": True},
        }
        response = self._call("POST", "/chat/completions", body, stream=True)
        return self._events(response)

    def embed(self, model: str, texts: list[str]) -> Embedded:
        body = _object(self._call("POST", "/embeddings", {"model": model, "input": texts, "encoding_format": "float"}))
        try:
            vectors = [row["embedding"] for row in sorted(_rows(body), key=lambda row: row.get("index", 0))]
            tokens = int((body.get("usage") or {}).get("prompt_tokens", 0))
        except (AttributeError, KeyError, TypeError, ValueError):
            raise _unexpected() from None
        if len(vectors) != len(texts) or not all(isinstance(vector, list) for vector in vectors):
            raise _unexpected()
        return Embedded(vectors, tokens)

    def _call(self, method: str, path: str, body: dict | None = None, stream: bool = False):
        try:
            response = self._http.request(
                method, self._base + path, json=body, headers=self._headers, timeout=self._timeout, stream=stream
            )
        except requests.Timeout:
            raise upstream_error("The model server did not answer in time.", timeout=True) from None
        except requests.RequestException as exc:
            log.warning("upstream %s unreachable: %s", path, type(exc).__name__)
            raise upstream_error("The model server is unreachable.") from None
        if response.status_code < 400:
            return response
        raise self._mapped(response, body)

    def _mapped(self, response: requests.Response, body: dict | None) -> ApiError:
        try:
            answer = response.json()
        except ValueError:
            answer = None
        finally:
            response.close()
        error = (answer.get("error") or {}) if isinstance(answer, dict) else {}
        error = error if isinstance(error, dict) else {"message": str(error)}
        log.warning("upstream answered %s: %s", response.status_code, error.get("message"))
        if response.status_code == 404 and body and "model" in body:
            return model_not_found(body["model"])
        if response.status_code in PASSED_THROUGH:
            return ApiError(
                response.status_code,
                str(error.get("message") or "The model server refused the request."),
                code=error.get("code"),
                param=error.get("param"),
            )
        if response.status_code == 429:
            return ApiError(
                429,
                "The model server is busy; try again shortly.",
                type_="rate_limit_error",
                code="upstream_rate_limited",
                headers={"Retry-After": response.headers.get("Retry-After", "1")},
            )
        return upstream_error(f"The model server failed (HTTP {response.status_code}).")

    def _events(self, response: requests.Response) -> Iterator[dict]:
        """Server-sent events of the upstream, one decoded ``data:`` payload at a time."""
        buffer = b""
        try:
            for piece in _pieces(response):
                buffer += piece
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    line = line.strip()
                    if not line.startswith(b"data:"):
                        continue
                    data = line[5:].strip()
                    if data == b"[DONE]":
                        return
                    event = json.loads(data)
                    if not isinstance(event, dict):
                        raise _unexpected()
                    if "error" in event:
                        error = event["error"] if isinstance(event["error"], dict) else {"message": event["error"]}
                        raise upstream_error(f"The model server failed mid-stream: {error.get('message') or ''}")
                    yield event
        except requests.Timeout:
            raise upstream_error("The model server stopped answering mid-stream.", timeout=True) from None
        except (requests.RequestException, ValueError) as exc:
            log.warning("upstream stream broke: %s", type(exc).__name__)
            raise upstream_error("The model server's stream broke off.") from None
        finally:
            response.close()


def _unexpected() -> ApiError:
    return upstream_error("The model server answered in an unexpected shape.")


def _object(response: requests.Response) -> dict:
    """The upstream's JSON answer; anything but an object means the upstream is failing."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _unexpected()
    return body


def _rows(body: dict) -> list:
    rows = body.get("data")
    if not isinstance(rows, list):
        raise _unexpected()
    return rows


def _pieces(response: requests.Response) -> Iterator[bytes]:
    """What the upstream has sent so far, without waiting to fill a buffer (SSE must not lag)."""
    raw = response.raw
    try:
        if raw.chunked and raw.supports_chunked_reads():
            yield from raw.read_chunked(65536, decode_content=True)
            return
        while piece := raw.read1(65536, decode_content=True):
            yield piece
    except Exception as exc:  # urllib3's own errors: a timeout or a dropped connection
        if "timed out" in str(exc).lower():
            raise requests.Timeout(str(exc)) from None
        raise requests.ConnectionError(str(exc)) from None
