"""Access-token validation: the first step of every protected request, and only that.

``authenticate`` takes the token from the Authorization header (RFC 6750 §2.1, or RFC 9449 §7's
``DPoP`` scheme), has the app's introspector (``resource.introspection``) validate it, checks that it
was minted for this resource server (RFC 8707 audience) and, for a DPoP-bound token, the request's
proof (``resource.dpop``); ``require_scope`` adds the scope check. /v1/* and /mcp both
go through ``authenticate``; rate limits are the next step (``resource.limits.rate_limited``).
Every 401 and 403 names the protected resource metadata (RFC 9728 §5.1), so a client that knows
only a URL here can find the authorization server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from functools import wraps

from flask import current_app
from flask import g
from flask import request

from resource.dpop import ProofRefused
from resource.errors import ApiError
from shared.jose import JWS_ALGORITHMS
from shared.resources import canonical_resource

# RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
# Far above any token our authorization server issues; longer ones are refused unasked.
MAX_TOKEN_LENGTH = 4096
BEARER = "Bearer"
DPOP = "DPoP"


@dataclass(frozen=True)
class TokenInfo:
    sub: str | None
    client_id: str | None
    scopes: frozenset[str]
    exp: int | None
    claims: dict
    # RFC 8707: the resource servers the token is for (canonical), None when it names none.
    audience: tuple[str, ...] | None = None
    # RFC 8693 §4.1: who acts for ``sub`` (a token issued by token exchange), nested for a chain.
    act: dict | None = None
    # RFC 9449 §6: the thumbprint of the DPoP key the token is bound to (``cnf.jkt``), None for bearer tokens.
    jkt: str | None = None
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
            audience=_audience(claims.get("aud")),
            act=_act(claims.get("act")),
            jkt=_jkt(claims.get("cnf")),
        )

    def is_for(self, resource_url: str) -> bool:
        """RFC 8707: a token with an audience is good only at the resource servers it names; one
        without (no resource asked for, no default configured) at every resource server."""
        return self.audience is None or resource_url in self.audience


def _string(value) -> str | None:
    return value if isinstance(value, str) else None


def _act(act) -> dict | None:
    """RFC 8693 §4.1 ``act``: a JSON object whose ``sub`` names the actor, perhaps with an ``act`` of
    its own (an earlier actor). Anything else counts as absent."""
    if not isinstance(act, dict) or not isinstance(act.get("sub"), str):
        return None
    if "act" in act and _act(act["act"]) is None:
        return {"sub": act["sub"]}
    return act


def _audience(aud) -> tuple[str, ...] | None:
    """RFC 7662 §2.2 ``aud``: a string or an array of strings. A value that is no resource
    identifier matches nothing (an empty tuple refuses the token everywhere)."""
    if aud is None:
        return None
    values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    return tuple(canonical for value in values if (canonical := canonical_resource(value)) is not None)


def _jkt(cnf) -> str | None:
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    return jkt if isinstance(jkt, str) and jkt else None


def challenge(
    error: str | None = None, description: str | None = None, scope: str | None = None, scheme: str = BEARER
) -> str:
    """A ``WWW-Authenticate`` value (RFC 6750 §3; RFC 9449 §7.1 for ``DPoP``, with the ``algs`` it
    accepts) naming the resource metadata (RFC 9728 §5.1)."""
    params = [
        f'{name}="{value}"'
        for name, value in (("error", error), ("error_description", description), ("scope", scope))
        if value
    ]
    if scheme == DPOP:
        params.append(f'algs="{" ".join(JWS_ALGORITHMS)}"')
    params.append(f'resource_metadata="{current_app.extensions["resource"].metadata_url}"')
    return f"{scheme} " + ", ".join(params)


def _invalid_token(
    description: str, scopes: tuple[str, ...] = (), scheme: str = BEARER, code: str = "invalid_token"
) -> ApiError:
    """401; ``scopes`` tells a client without a token what to ask for (MCP authorization, scope selection)."""
    return ApiError(
        401,
        description,
        code=code,
        headers={"WWW-Authenticate": challenge(code, description, " ".join(scopes), scheme)},
    )


def insufficient_scope(scopes: tuple[str, ...]) -> ApiError:
    """403 naming the scopes to ask for (RFC 6750 §3.1; MCP's step-up authorization), under the
    scheme the token came with."""
    needed = " ".join(scopes)
    scheme = g.get("token_scheme", BEARER)
    return ApiError(
        403,
        f"This access token lacks the scope {needed!r}.",
        code="insufficient_scope",
        headers={"WWW-Authenticate": challenge("insufficient_scope", scope=needed, scheme=scheme)},
    )


def presented_token(scopes: tuple[str, ...] = ()) -> tuple[str, str]:
    """The scheme (``Bearer`` or ``DPoP``) and access token from the Authorization header, the only
    place we accept it (RFC 6750 §2.1, RFC 9449 §7.1).

    RFC 6750 §2.2/2.3 allow form and query tokens, but query tokens leak into logs and
    histories (RFC 9700 §4.3.2), so both are refused with ``invalid_request``.
    """
    environ = request.environ
    # The query and form are parsed only when there is one: most calls have neither.
    in_query = environ.get("QUERY_STRING") and "access_token" in request.args
    in_form = (
        environ.get("CONTENT_TYPE")
        and request.mimetype == "application/x-www-form-urlencoded"
        and "access_token" in request.form
    )
    if in_query or in_form:
        raise ApiError(
            400,
            "Send the access token in the Authorization header, not in the URL or body.",
            code="invalid_request",
            param="access_token",
            headers={"WWW-Authenticate": challenge("invalid_request")},
        )
    scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    scheme = {"bearer": BEARER, "dpop": DPOP}.get(scheme.lower())
    token = token.strip()
    if scheme is None or not token:
        raise _invalid_token("No bearer access token was provided.", scopes)
    if len(token) > MAX_TOKEN_LENGTH or not _B64TOKEN.fullmatch(token):
        raise _invalid_token("The access token is malformed.", scopes, scheme)
    return scheme, token


def authenticate(scopes: tuple[str, ...] = ()) -> TokenInfo:
    """The request's access token, valid and minted for this resource server; also ``g.token``.

    ``scopes``: what a 401 suggests asking for. A token for another resource is refused as
    invalid (RFC 8707, MCP's "no token passthrough"): it was never meant to be spent here.
    """
    resources = current_app.extensions["resource"]
    scheme, token = presented_token(scopes)
    info = resources.introspector.validate(token)
    if info is None:
        raise _invalid_token("The access token is invalid, expired or revoked.", scopes, scheme)
    if not info.is_for(resources.resource_url):
        raise _invalid_token("The access token was issued for another resource.", scopes, scheme)
    _check_binding(resources, scheme, token, info)
    g.token = info
    g.token_scheme = scheme
    return info


def _check_binding(resources, scheme: str, token: str, info: TokenInfo) -> None:
    """RFC 9449 §7.1-7.2: a DPoP-bound token only under the DPoP scheme with a proof of its key, and
    only a bound token under that scheme (a bearer token has no key to prove)."""
    if info.jkt is None:
        if scheme == DPOP:
            raise _invalid_token("The access token is not DPoP-bound: send it as a Bearer token.", scheme=DPOP)
        return
    if scheme != DPOP:
        raise _invalid_token("The access token is DPoP-bound: send it as DPoP, with a DPoP proof.", scheme=DPOP)
    try:
        resources.dpop.check(token, info.jkt)
    except ProofRefused as refused:
        raise _invalid_token(str(refused), scheme=DPOP, code="invalid_dpop_proof") from None


def require_scope(*scopes: str):
    """Require a valid bearer token for this resource server holding every scope named (none: any
    valid token).

    The validated token is ``g.token`` and the scopes asked for ``g.required_scopes``, for the steps
    after this one (rate limits, metering).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            info = authenticate(scopes)
            if not info.scopes.issuperset(scopes):
                raise insufficient_scope(scopes)
            g.required_scopes = scopes
            return view(*args, **kwargs)

        return wrapper

    return decorator
