"""OAuth 2.0 Token Exchange (RFC 8693): a client shows a person's access token and gets one for them.

A client an admin allowed to exchange (``clients add --grant-type
urn:ietf:params:oauth:grant-type:token-exchange``) authenticates as at the token endpoint and sends the
person's access token as ``subject_token``. It gets an access token (never a refresh token) for the
resources it names, with the person's ``sub`` and ``act: {"sub": <its client_id>}``, nested when the
subject token was itself exchanged (RFC 8693 §4.1). The token joins the subject token's family, so
revoking that family or the person's consent for the original client revokes it too
(``tokens.exchange``), and it never outlives its subject token.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc6749.errors import UnauthorizedClientError

from authserver.accounts.models import User
from authserver.clients.metadata import TOKEN_EXCHANGE
from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.oauth2.grants import CONFIDENTIAL_AUTH_METHODS
from authserver.oauth2.grants import USER_DISABLED
from authserver.oauth2.grants import save_issued_token
from authserver.oauth2.resources import InvalidTargetError
from authserver.oauth2.resources import audience_of
from authserver.oauth2.resources import new_audience
from authserver.oauth2.resources import requested_resources
from authserver.scopes.policy import exchange_scope
from authserver.tokens import exchange as lineage
from authserver.tokens import services as tokens
from authserver.tokens.services import TokenRecord
from shared.resources import canonical_resource

ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
# Each exchange in a chain nests one more ``act``; past this many the token is refused.
MAX_ACTORS = 5

UNKNOWN_SUBJECT_TOKEN = "the subject_token is not an access token this server issued"
SUBJECT_REFRESH_TOKEN = "the subject_token is a refresh token; only access tokens are exchanged"
SUBJECT_TOKEN_REVOKED = "the subject_token was revoked"
SUBJECT_TOKEN_EXPIRED = "the subject_token expired"
SUBJECT_TOKEN_INACTIVE = "the subject_token is no longer active (its client is disabled)"
SUBJECT_TOKEN_OF_NO_PERSON = (
    "the subject_token was issued to a client acting as itself; only a person's token can be exchanged"
)
SUBJECT_TOKEN_NOT_FOR_CLIENT = (
    "the subject_token was issued for other resource servers; only one of them may exchange it"
)
BOUND_SUBJECT_TOKEN = "the subject_token is DPoP-bound; only a resource server it was issued for may exchange it"
CONSENT_REVOKED = "the person no longer consents to the app the subject_token was issued to"
CHAIN_TOO_LONG = f"the subject_token was already exchanged {MAX_ACTORS} times; no further exchange is allowed"
INVALID_ACTOR_TOKEN = "the actor_token must be an active client-credentials access token of the requesting client"


class TokenExchangeGrant(grants.BaseGrant, grants.TokenEndpointMixin):
    """RFC 8693 §2: confidential clients holding the grant type; access tokens in, access tokens out."""

    GRANT_TYPE = TOKEN_EXCHANGE
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS
    # Metadata lists it only while some enabled client holds it (``metadata.server_metadata``).
    ADVERTISED_WHEN_HELD = True

    def validate_token_request(self) -> None:
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError(f"The client is not allowed to use 'grant_type={self.GRANT_TYPE}'.")
        self.request.client = client
        data = self.request.payload.data
        _check_token_types(data)
        subject = self._subject(data["subject_token"])
        if "actor_token" in data:
            self._check_actor(data["actor_token"])
        targets = dict.fromkeys((*requested_resources(self.request), *self._audiences()))
        self.request.audience = new_audience(tuple(targets))
        self.request.scope = self._scope(subject)
        self.request.user = db_session().get(User, subject.token.user_id)
        act = {"sub": client.client_id}
        if subject.token.act is not None:
            act["act"] = subject.token.act
        self.request.act = act
        self.request.subject = subject
        # Whole seconds, so the token cannot outlive the subject token by a fraction of one.
        remaining = int((subject.token.access_expires_at - utcnow()).total_seconds())
        if remaining < 1:
            raise InvalidGrantError(SUBJECT_TOKEN_EXPIRED)
        self.request.expires_in = min(self.server.config.access_token_ttl, remaining)

    def _subject(self, value: str) -> TokenRecord:
        """RFC 8693 §2.2.2: a subject token that is not valid is ``invalid_grant``; say why."""
        record = tokens.find_token(value)
        if record is None:
            raise InvalidGrantError(UNKNOWN_SUBJECT_TOKEN)
        if record.is_refresh:
            raise InvalidGrantError(SUBJECT_REFRESH_TOKEN)
        token = record.token
        if token.revoked_at is not None:
            raise InvalidGrantError(SUBJECT_TOKEN_REVOKED)
        if token.user_id is None:
            raise InvalidGrantError(SUBJECT_TOKEN_OF_NO_PERSON)
        if record.user is None or record.user.disabled:
            raise InvalidGrantError(USER_DISABLED)
        if not record.active:
            raise InvalidGrantError(SUBJECT_TOKEN_EXPIRED if record.expires_at <= utcnow() else SUBJECT_TOKEN_INACTIVE)
        # RFC 8693 §2.1 leaves it to policy: a token meant for named resource servers may be exchanged
        # only by one of them; a token without an audience by any client allowed to exchange.
        audience = audience_of(token.audience)
        if audience is not None and self.request.client.resource_url not in audience:
            raise InvalidGrantError(SUBJECT_TOKEN_NOT_FOR_CLIENT)
        # RFC 9449: a bound token is good only with a proof of its key, which an exchanging client
        # cannot give; exchanging it anyway would turn a stolen bound token into a usable one. A
        # resource server in its audience has checked that proof when the token was presented to it.
        if token.dpop_jkt is not None and audience is None:
            raise InvalidGrantError(BOUND_SUBJECT_TOKEN)
        if _depth(token.act) >= MAX_ACTORS:
            raise InvalidGrantError(CHAIN_TOO_LONG)
        return record

    def _check_actor(self, value: str) -> None:
        """RFC 8693 §2.1: the actor token stands for the party acting. Here that is the client itself:
        a client-credentials token it holds (``act.sub`` is its client_id either way)."""
        record = tokens.find_token(value)
        if (
            record is None
            or record.is_refresh
            or not record.active
            or record.token.user_id is not None
            or record.client_id != self.request.client.client_id
        ):
            raise InvalidGrantError(INVALID_ACTOR_TOKEN)

    def _audiences(self) -> tuple[str, ...]:
        """RFC 8693 §2.1 ``audience``: logical names of the target services. Ours are a resource
        server's resource URL or its client_id; any other is ``invalid_target`` (§2.2.2)."""
        if "audience" not in self.request.payload.data:
            return ()
        known = self.server.resources.get()
        resources = []
        for value in self.request.payload.datalist["audience"]:
            canonical = canonical_resource(value)
            if canonical is None or canonical not in known:
                client = self.server.clients.get(value)
                canonical = client.resource_url if client is not None else None
            if canonical is None:
                raise InvalidTargetError("The 'audience' asked for is not a resource server this server knows.")
            resources.append(canonical)
        return tuple(resources)

    def _scope(self, subject: TokenRecord) -> str:
        """RFC 8693 §2.1 ``scope``, bounded by the subject token, the person's consent for the
        original client, and what the exchanging client may hold (restricted scopes approved)."""
        token = subject.token
        consented = lineage.consented_scope(token.user_id, token.id, token.family_id)
        if consented is None:
            raise InvalidGrantError(CONSENT_REVOKED)
        client = self.request.client
        allowed = [name for name in client.scopes if name not in client.withheld_scopes]
        subject_scope = self.server.scope_now(token.scope, subject.client_id)
        scope = exchange_scope(subject_scope, consented, allowed, self.request.payload.scope)
        if scope is None:
            raise InvalidScopeError(
                "The scope asked for goes beyond what the subject_token carries, what the person "
                "consented to, or what this client may hold."
            )
        if not scope:
            raise InvalidScopeError("The subject_token carries no scope this client may hold.")
        return scope

    def create_token_response(self):
        subject = self.request.subject
        ttl = self.request.expires_in
        token = self.generate_token(
            user=self.request.user, scope=self.request.scope, expires_in=ttl, include_refresh_token=False
        )
        family = lineage.family_for_exchange(subject.token.id, subject.token.family_id)
        save_issued_token(self.request, token, family_id=family, act=self.request.act, access_ttl=ttl)
        token["issued_token_type"] = ACCESS_TOKEN_TYPE  # RFC 8693 §2.2.1
        return 200, token, self.TOKEN_RESPONSE_HEADER


def _check_token_types(data) -> None:
    """RFC 8693 §2.1: the required parameters, and the only token type we take and issue."""
    for name in ("subject_token", "subject_token_type"):
        if not data.get(name):
            raise InvalidRequestError(f"The '{name}' parameter is missing.")
    if data["subject_token_type"] != ACCESS_TOKEN_TYPE:
        raise InvalidRequestError(
            f"'subject_token_type' must be {ACCESS_TOKEN_TYPE}: only access tokens are exchanged."
        )
    if ("actor_token" in data) != ("actor_token_type" in data):
        raise InvalidRequestError("'actor_token' and 'actor_token_type' go together: send both or neither.")
    if "actor_token_type" in data and data["actor_token_type"] != ACCESS_TOKEN_TYPE:
        raise InvalidRequestError(f"'actor_token_type' must be {ACCESS_TOKEN_TYPE}.")
    requested = data.get("requested_token_type")
    if requested and requested != ACCESS_TOKEN_TYPE:
        raise InvalidRequestError(f"'requested_token_type' must be {ACCESS_TOKEN_TYPE}: only access tokens are issued.")


def _depth(act: dict | None) -> int:
    depth = 0
    while isinstance(act, dict):
        depth += 1
        act = act.get("act")
    return depth
