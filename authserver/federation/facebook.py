"""Facebook Login: OAuth 2 plus the Graph API."""

from __future__ import annotations

from authlib.integrations.flask_client import FlaskOAuth2App

from authserver.federation._core import ProviderType
from authserver.federation._core import UpstreamFailure
from authserver.federation._core import UpstreamUser
from authserver.federation._core import api_get

GRAPH = "https://graph.facebook.com/v19.0"


class FacebookType(ProviderType):
    type_name = "facebook"
    display_name = "Facebook"
    scope = "email public_profile"
    token_auth_method = "client_secret_post"
    default_authorize_url = "https://www.facebook.com/v19.0/dialog/oauth"
    default_token_url = f"{GRAPH}/oauth/access_token"
    default_userinfo_url = f"{GRAPH}/me"

    def fetch_user(self, client: FlaskOAuth2App, token: dict, state_data: dict) -> UpstreamUser:
        """The app-scoped user id and email from the Graph API.

        The Graph API makes no statement that the email is verified, so it never counts as
        verified here: an existing account with that email is never linked on its word alone.
        """
        me = api_get(client, client.server_metadata["userinfo_endpoint"], token, params={"fields": "id,name,email"})
        if not isinstance(me, dict) or not isinstance(me.get("id"), str):
            raise UpstreamFailure("upstream_error", "the Graph API answered no id")
        return UpstreamUser(subject=me["id"], email=me.get("email"), email_verified=False, name=me.get("name"))
