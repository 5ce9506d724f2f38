"""Fake *upstreams* of the resource server: a scripted introspection server for the unit-level
tests of token handling, and an OpenAI-compatible model server for the proxy backend.
The end-to-end tests use the real authorization server instead."""

from __future__ import annotations

import json
import threading
import time

from flask import Flask
from flask import Response
from flask import jsonify
from flask import request

RS_ID, RS_SECRET = "rs-client", "rs-secret"


class FakeIntrospection:
    def __init__(self) -> None:
        self.url = ""
        self.tokens: dict[str, dict] = {}
        self.introspections = 0
        self.status = 200
        self.delay = 0.0
        self.metadata_status = 200
        self.usage: list[dict] = []
        self.usage_status = 202
        self.usage_attempts = 0
        self.usage_deliveries: list[list[dict]] = []  # every batch received, answered or refused

    def grant(
        self, token: str, scope: str, sub: str = "client-1", client_id: str = "client-1", lifetime: int = 3600, **extra
    ) -> str:
        self.tokens[token] = {
            "active": True,
            "scope": scope,
            "sub": sub,
            "client_id": client_id,
            "token_type": "Bearer",
            "exp": int(time.time()) + lifetime,
            **extra,
        }
        return token

    def app(self) -> Flask:
        app = Flask(__name__)

        @app.get("/.well-known/oauth-authorization-server")
        def metadata():
            return jsonify(issuer=self.url, introspection_endpoint=self.url + "/introspect"), self.metadata_status

        @app.post("/introspect")
        def introspect():
            self.introspections += 1
            time.sleep(self.delay)
            auth = request.authorization
            if auth is None or (auth.username, auth.password) != (RS_ID, RS_SECRET):
                return jsonify(error="invalid_client"), 401
            if self.status != 200:
                return jsonify(error="server_error"), self.status
            answer = self.tokens.get(request.form.get("token"), {"active": False})
            # A string is sent as it is: a body that is no valid answer.
            return (answer, 200, {"Content-Type": "application/json"}) if isinstance(answer, str) else jsonify(answer)

        @app.post("/internal/usage")
        def usage():
            self.usage_attempts += 1
            self.usage_deliveries.append(request.get_json()["records"])
            if self.usage_status != 202:
                return jsonify(error="temporarily_unavailable"), self.usage_status
            self.usage.extend(request.get_json()["records"])
            return jsonify(stored=len(request.get_json()["records"])), 202

        return app


class FakeUpstream:
    """An OpenAI-compatible server; streams wait on ``release`` after their first content chunk."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.failure: tuple[int, dict] | None = None
        self.delay = 0.0
        self.release = threading.Event()
        self.hold_stream = False
        self.break_stream = False

    def app(self) -> Flask:
        app = Flask(__name__)

        def refused():
            if self.failure is not None:
                status, body = self.failure
                return jsonify(body), status
            time.sleep(self.delay)
            return None

        @app.get("/v1/models")
        def models():
            return refused() or jsonify(
                object="list", data=[{"id": "up-chat", "object": "model"}, {"id": "up-embed", "object": "model"}]
            )

        @app.post("/v1/embeddings")
        def embeddings():
            body = request.get_json()
            self.requests.append(body)
            return refused() or jsonify(
                object="list",
                model=body["model"],
                data=[
                    {"object": "embedding", "index": i, "embedding": [0.5, -0.5, float(i)]}
                    for i, _ in enumerate(body["input"])
                ],
                usage={"prompt_tokens": 7, "total_tokens": 7},
            )

        @app.post("/v1/chat/completions")
        def chat():
            body = request.get_json()
            self.requests.append({**body, "authorization": request.headers.get("Authorization")})
            if (failed := refused()) is not None:
                return failed
            if not body.get("stream"):
                return jsonify(
                    id="up-1",
                    object="chat.completion",
                    created=1,
                    model=body["model"],
                    choices=[
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "upstream says hi"},
                            "finish_reason": "stop",
                        }
                    ],
                    usage={"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6},
                )
            return Response(self._stream(body["model"]), mimetype="text/event-stream")

        return app

    def _stream(self, model: str):
        def chunk(delta, finish=None, usage=None):
            event = {
                "id": "up-1",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": model,
                "choices": [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            if usage:
                event["usage"] = usage
            return f"data: {json.dumps(event)}\n\n"

        yield chunk({"role": "assistant", "content": "up"})
        if self.hold_stream:
            self.release.wait(10)
        if self.break_stream:
            yield f"data: {json.dumps({'error': {'message': 'model crashed'}})}\n\n"
            return
        yield chunk({"content": "stream"}, None)
        yield chunk({}, "stop")
        yield chunk(None, usage={"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4})
        yield "data: [DONE]\n\n"
