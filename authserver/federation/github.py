"""GitHub (and GitHub Enterprise): OAuth 2 plus its REST API; no id_token, so no nonce."""

from __future__ import annotations

from authlib.integrations.flask_client import FlaskOAuth2App

from authserver.federation._core import ProviderType
from authserver.federation._core import UpstreamFailure
from authserver.federation._core import UpstreamUser
from authserver.federation._core import api_get

API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


class GitHubType(ProviderType):
    type_name = "github"
    display_name = "GitHub"
    scope = "read:user user:email"
    # GitHub documents the client secret as a form parameter of the token request.
    token_auth_method = "client_secret_post"
    default_authorize_url = "https://github.com/login/oauth/authorize"
    default_token_url = "https://github.com/login/oauth/access_token"
    default_userinfo_url = "https://api.github.com/user"

    def fetch_user(self, client: FlaskOAuth2App, token: dict, state_data: dict) -> UpstreamUser:
        """The account from ``/user``; the email is the primary one from ``/user/emails``, with its verified flag."""
        base = client.server_metadata["userinfo_endpoint"].rstrip("/")
        account = api_get(client, base, token, headers=API_HEADERS)
        if not isinstance(account, dict) or not isinstance(account.get("id"), int):
            raise UpstreamFailure("upstream_error", "the user API answered no numeric id")
        emails = api_get(client, f"{base}/emails", token, headers=API_HEADERS)
        if not isinstance(emails, list):
            emails = []
        primary = next((e for e in emails if isinstance(e, dict) and e.get("primary")), None)
        return UpstreamUser(
            # The numeric id: logins can be renamed and then taken by someone else.
            subject=str(account["id"]),
            email=primary.get("email") if primary else None,
            email_verified=bool(primary and primary.get("verified") is True),
            name=account.get("name") or account.get("login"),
        )
