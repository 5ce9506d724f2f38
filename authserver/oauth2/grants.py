"""Authlib's grants bound to our services. Each method only translates; the rules live in services."""

from __future__ import annotations

import functools

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc7636 import CodeChallenge

from authserver.audit.services import record
from authserver.db import utcnow
from authserver.extensions import get_config
from authserver.oauth2 import dpop
from authserver.oauth2.models import OAuthAuthorizationCode
from authserver.oauth2.models import OAuthRefreshToken
from authserver.oauth2.resources import InvalidTargetError
from authserver.oauth2.resources import audience_column
from authserver.oauth2.resources import audience_of
from authserver.oauth2.resources import narrowed_audience
from authserver.oauth2.resources import new_audience
from authserver.oauth2.resources import requested_resources
from authserver.scopes.policy import client_credentials_scope
from authserver.tokens import access_jwt
from authserver.tokens import codes
from authserver.tokens import services as tokens
from shared.security import new_credential

CONFIDENTIAL_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
ALL_AUTH_METHODS = [*CONFIDENTIAL_AUTH_METHODS, "none"]

# What ``error_description`` says for each ``invalid_grant`` (RFC 6749 §5.2), so a developer knows
# whether to retry, start the authorization again, or look for a leak.
UNKNOWN_CODE = "unknown authorization code"
CODE_OF_ANOTHER_CLIENT = "the authorization code was issued to another client"
CODE_ALREADY_USED = "the authorization code was already used; the tokens issued with it are now revoked"
CODE_EXPIRED = "the authorization code expired; start the authorization again"
REDIRECT_URI_MISMATCH = "redirect_uri does not match the one in the authorization request"
PKCE_MISMATCH = "the PKCE code_verifier does not match the code_challenge of the authorization request"
USER_DISABLED = "the user's account is disabled"
UNKNOWN_REFRESH_TOKEN = "unknown refresh token"
REFRESH_TOKEN_OF_ANOTHER_CLIENT = "the refresh token was issued to another client"
REFRESH_TOKEN_REVOKED = "the refresh token was revoked"
REFRESH_TOKEN_EXPIRED = "the refresh token expired"
REFRESH_TOKEN_REPLAYED = (
    "a rotated refresh token was presented again; the token family is now revoked (sign the user in again)"
)
REFRESH_TOKEN_RACED = (
    "the refresh token was already used by a concurrent request; the token family is now "
    "revoked (sign the user in again)"
)


def save_issued_token(request, token: dict, with_session_changes: bool = True, **lineage) -> None:
    """Store the token Authlib generated, with its audience (``request.audience``, set while the grant
    validated the request) and where it came from (its code, its family). For a client with JWT
    access tokens (RFC 9068), ``token``'s access token becomes the signed JWT of that row.

    A request with a DPoP proof gets its tokens bound to the proof's key (RFC 9449 §5: ``cnf.jkt`` at
    introspection, ``token_type: DPoP`` in the answer).

    A token issued to a person is audited in the same transaction. Client-credentials tokens (nothing
    else to commit, ``with_session_changes=False``) are not audited one by one: at machine rates an
    audit row each would double the token endpoint's writes, and the token table holds them anyway.
    """
    jkt = request.dpop.jkt if request.dpop is not None else None
    if jkt is not None:
        token["token_type"] = "DPoP"
    client, user = request.client, request.user
    if with_session_changes:
        grant_type = request.payload.grant_type
        record(
            "token.refreshed" if grant_type == "refresh_token" else "token.issued",
            user_id=user.id if user is not None else None,
            client_id=client.client_id,
            grant_type=grant_type,
            scope=token["scope"],
            refresh_token=bool(token.get("refresh_token")),
        )
    as_jwt = None
    if client.jwt_access_tokens:
        as_jwt = functools.partial(
            access_jwt.access_token_claims,
            client_id=client.client_id,
            sub=user.sub if user is not None else client.client_id,
            email=user.email if user is not None else None,
        )
    token["access_token"] = tokens.store_token(
        with_session_changes=with_session_changes,
        as_jwt=as_jwt,
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token"),
        client_pk=client.pk,
        user_id=user.id if user is not None else None,
        scope=token["scope"],
        audience=audience_column(request.audience),
        dpop_jkt=jkt,
        **lineage,
    )


def _reuse_detected(request, row, why: str) -> None:
    """RFC 9700 §4.14.2: a refresh token used twice means it leaked; the incident gets its own event."""
    record(
        "token.reuse_detected",
        user_id=row.user_id,
        client_id=request.client.client_id,
        family_id=row.family_id,
        why=why,
    )


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    GRANT_TYPE = "authorization_code"
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS

    def generate_authorization_code(self) -> str:
        return new_credential()

    def validate_authorization_request(self) -> str:
        """RFC 8707 §2: the resources named must be known; the code remembers them (or the default)."""
        redirect_uri = super().validate_authorization_request()
        try:
            self.request.audience = new_audience(requested_resources(self.request))
            dpop.requested_jkt(self.request)
        except (InvalidTargetError, InvalidRequestError) as error:
            error.redirect_uri = redirect_uri
            raise
        return redirect_uri

    def validate_token_request(self) -> None:
        """RFC 8707 §2.2: the token may be for fewer of the resources authorized, never for others.
        Checked before the code is consumed, so a client can retry with a correct ``resource``."""
        super().validate_token_request()
        code = self.request.authorization_code.row
        self.request.audience = narrowed_audience(requested_resources(self.request), audience_of(code.audience))

    def create_authorization_response(self, redirect_uri: str, grant_user):
        """RFC 9207: the response names its issuer, so a client talking to several can tell mix-ups."""
        status, body, headers = super().create_authorization_response(redirect_uri, grant_user)
        location = add_params_to_uri(dict(headers)["Location"], [("iss", get_config().issuer)])
        return status, body, [("Location", location)]

    def save_authorization_code(self, code: str, request) -> None:
        data = request.payload.data
        codes.create_code(
            code,
            client_pk=request.client.pk,
            user_id=request.user.id,
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope,
            audience=audience_column(request.audience),
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            auth_time=request.auth_time,
            dpop_jkt=dpop.requested_jkt(request),
            amr=request.amr,
        )

    def query_authorization_code(self, code: str, client):
        """Every refusal says why in ``error_description`` (RFC 6749 §5.2); a code presented twice
        revokes what it issued (RFC 6749 §4.1.2, RFC 9700 §4.2.1)."""
        found = codes.find_code(code)
        if found is None:
            raise InvalidGrantError(UNKNOWN_CODE)
        row, user = found
        if row.client_id != client.pk:  # RFC 6749 §4.1.3: issued to the authenticated client
            raise InvalidGrantError(CODE_OF_ANOTHER_CLIENT)
        if row.used_at is not None:
            tokens.revoke_issued_from_code(row.id)
            raise InvalidGrantError(CODE_ALREADY_USED)
        if row.expires_at <= utcnow():
            raise InvalidGrantError(CODE_EXPIRED)
        if row.redirect_uri and self.request.payload.redirect_uri != row.redirect_uri:
            # RFC 6749 §4.1.3: identical to the authorization request's redirect_uri.
            raise InvalidGrantError(REDIRECT_URI_MISMATCH)
        dpop.check_binding(self.request, row.dpop_jkt, "authorization code")
        return OAuthAuthorizationCode(row, user)

    def authenticate_user(self, authorization_code: OAuthAuthorizationCode):
        # Consumed here, after PKCE and redirect_uri checks passed, and committed with the token.
        if not codes.consume_code(authorization_code.row.id):
            tokens.revoke_issued_from_code(authorization_code.row.id)
            raise InvalidGrantError(CODE_ALREADY_USED)
        if authorization_code.user.disabled:
            raise InvalidGrantError(USER_DISABLED)
        return authorization_code.user

    def save_token(self, token: dict) -> None:
        code = self.request.authorization_code.row
        save_issued_token(self.request, token, authorization_code_id=code.id, auth_time=code.auth_time, amr=code.amr)

    def delete_authorization_code(self, authorization_code) -> None:
        """Nothing to do: the code was marked used atomically (``consume_code``)."""


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """Rotation on every use; a rotated token presented again revokes its family (RFC 9700 §4.14.2)."""

    GRANT_TYPE = "refresh_token"
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str):
        """Every refusal says why in ``error_description`` (RFC 6749 §5.2): a client that sees
        "the token family is now revoked" knows to send its user back to sign in."""
        found = tokens.find_by_refresh_token(refresh_token)
        if found is None:
            raise InvalidGrantError(UNKNOWN_REFRESH_TOKEN)
        row, user = found
        if row.refresh_rotated_at is not None:
            _reuse_detected(self.request, row, "rotated refresh token presented again")
            tokens.revoke_family(row.family_id, reason="rotated refresh token presented again")
            raise InvalidGrantError(REFRESH_TOKEN_REPLAYED)
        if row.client_id != self.request.client.pk:  # RFC 6749 §6: bound to the client it was issued to
            raise InvalidGrantError(REFRESH_TOKEN_OF_ANOTHER_CLIENT)
        if row.revoked_at is not None:
            raise InvalidGrantError(REFRESH_TOKEN_REVOKED)
        if row.refresh_expires_at is None or row.refresh_expires_at <= utcnow():
            raise InvalidGrantError(REFRESH_TOKEN_EXPIRED)
        if user is None or user.disabled:
            raise InvalidGrantError(USER_DISABLED)
        if self.request.client.is_public:
            # RFC 9449 §5: a public client's refresh token is bound to its DPoP key; a confidential
            # client's is bound to its credentials, and each refresh may bind to a new key.
            dpop.check_binding(self.request, row.dpop_jkt, "refresh token")
        return OAuthRefreshToken(row, user)

    def authenticate_user(self, refresh_token: OAuthRefreshToken):
        return refresh_token.user

    def validate_token_request(self) -> None:
        """RFC 8707 §2.2: a refresh may narrow the token's audience, never widen it."""
        super().validate_token_request()
        granted = audience_of(self.request.refresh_token.row.audience)
        self.request.audience = narrowed_audience(requested_resources(self.request), granted)

    def save_token(self, token: dict) -> None:
        old = self.request.refresh_token.row
        if not tokens.claim_rotation(old.id):
            # Lost a race with another use of the same token: indistinguishable from replay.
            _reuse_detected(self.request, old, "refresh token used concurrently")
            tokens.revoke_family(old.family_id, reason="refresh token used concurrently")
            raise InvalidGrantError(REFRESH_TOKEN_RACED)
        save_issued_token(
            self.request,
            token,
            family_id=old.family_id,
            authorization_code_id=old.authorization_code_id,
            auth_time=old.auth_time,
            amr=old.amr,
        )

    def revoke_old_credential(self, refresh_token) -> None:
        """Nothing to do: ``claim_rotation`` retired it in the same transaction as the new token."""


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """Confidential clients only (RFC 6749 §4.4); the token's subject is the client itself."""

    GRANT_TYPE = "client_credentials"
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS

    def validate_token_request(self) -> None:
        super().validate_token_request()
        self.request.audience = new_audience(requested_resources(self.request))

    def validate_requested_scope(self) -> None:
        """The scope decision is ``scopes.policy.client_credentials_scope``'s (RFC 6749 §3.3, §4.4)."""
        scope = client_credentials_scope(self.request.client.scopes, self.request.payload.scope)
        if scope is None:
            raise InvalidScopeError()
        self.request.scope = scope

    def create_token_response(self):
        token = self.generate_token(scope=self.request.scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER

    def save_token(self, token: dict) -> None:
        # Nothing else changed: the token is the request's only write.
        save_issued_token(self.request, token, with_session_changes=False)


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only, required of every client (RFC 9700 §2.1.1) but the confidential ones an
    admin let off (``clients add --pkce optional``), whose codes are still bound when they send it."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri) -> None:
        data = grant.request.payload.data
        challenge = data.get("code_challenge")
        if not challenge and grant.request.client.pkce_required:
            raise InvalidRequestError("PKCE is required: send a 'code_challenge' (S256).")
        if challenge and data.get("code_challenge_method") != "S256":
            # Absent means 'plain' (RFC 7636 §4.3), which offers no protection against a leaked request.
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant, result) -> None:
        """RFC 7636 §4.6: a mismatch is ``invalid_grant``; say which check failed."""
        try:
            super().validate_code_verifier(grant, result)
        except InvalidGrantError:
            raise InvalidGrantError(PKCE_MISMATCH) from None

    def get_authorization_code_challenge(self, authorization_code: OAuthAuthorizationCode) -> str | None:
        return authorization_code.row.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: OAuthAuthorizationCode) -> str | None:
        return authorization_code.row.code_challenge_method
