"""Bearer-token validation: the first step of every protected request, and only that.

``require_scope`` takes the token from the Authorization header (RFC 6750 §2.1), has the app's
introspector (``resource.introspection``) validate it and checks its scopes; rate limits are the
next step (``resource.limits.rate_limited``), never part of this one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from functools import wraps

from flask import current_app
from flask import g
from flask import request

from resource.errors import ApiError

# RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
# Far above any token our authorization server issues; longer ones are refused unasked.
MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True)
class TokenInfo:
    sub: str | None
    client_id: str | None
    scopes: frozenset[str]
    exp: int | None
    claims: dict
    # What other parts work out from the token once per introspection answer, not once per request
    # (the limiter's subjects): an answer is cached as one TokenInfo, reused by every call.
    derived: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_claims(cls, claims: dict) -> TokenInfo:
        """Members of the wrong JSON type count as absent: the limiter, metering and the API read
        these as strings and a number, and one odd answer must not turn into a 500."""
        scope = claims.get("scope") or ""
        exp = claims.get("exp")
        return cls(
            sub=_string(claims.get("sub")),
            client_id=_string(claims.get("client_id")),
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
            exp=exp if isinstance(exp, int) and not isinstance(exp, bool) else None,
            claims=claims,
        )


def _string(value) -> str | None:
    return value if isinstance(value, str) else None


def _invalid_token(description: str) -> ApiError:
    return ApiError(
        401, description, code="invalid_token",
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'},
    )


def bearer_token() -> str:
    """The access token from the Authorization header, the only place we accept it (RFC 6750 §2.1).

    RFC 6750 §2.2/2.3 allow form and query tokens, but query tokens leak into logs and
    histories (RFC 9700 §4.3.2), so both are refused with ``invalid_request``.
    """
    environ = request.environ
    # The query and form are parsed only when there is one: most calls have neither.
    in_query = environ.get("QUERY_STRING") and "access_token" in request.args
    in_form = environ.get("CONTENT_TYPE") and request.mimetype == "application/x-www-form-urlencoded" \
        and "access_token" in request.form
    if in_query or in_form:
        raise ApiError(
            400, "Send the access token in the Authorization header, not in the URL or body.",
            code="invalid_request", param="access_token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_request"'},
        )
    scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _invalid_token("No bearer access token was provided.")
    if len(token) > MAX_TOKEN_LENGTH or not _B64TOKEN.fullmatch(token):
        raise _invalid_token("The access token is malformed.")
    return token


def require_scope(*scopes: str):
    """Require a valid bearer token holding every scope named (none: any valid token).

    The validated token is ``g.token`` and the scopes asked for ``g.required_scopes``, for the steps
    after this one (rate limits, metering).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            # The app's state and the request's ``g`` themselves, not their proxies (~0.7 us a lookup).
            resources, ctx = current_app.extensions["resource"], g._get_current_object()
            info = resources.introspector.validate(bearer_token())
            if info is None:
                raise _invalid_token("The access token is invalid, expired or revoked.")
            ctx.token = info
            if not info.scopes.issuperset(scopes):
                needed = " ".join(scopes)
                raise ApiError(
                    403, f"This access token lacks the scope {needed!r}.", code="insufficient_scope",
                    headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'},
                )
            ctx.required_scopes = scopes
            return view(*args, **kwargs)

        return wrapper

    return decorator
