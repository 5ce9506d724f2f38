"""Admins' approvals of restricted scopes, one app at a time (``clients approve-scope`` / ``revoke-scope``).

A restricted scope may be listed by any app; it is granted only to an app with an approval row.
The decision itself (leave it out of every grant) is ``policy.leave_out``; the grants see
approvals through the client cache within a second.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy import select

from authserver.audit.services import record
from authserver.clients.models import Client
from authserver.errors import InvalidInput
from authserver.errors import NotFound
from authserver.extensions import db_session
from authserver.scopes import policy
from authserver.scopes.catalog import unapproved_restricted_scopes
from authserver.scopes.models import Scope
from authserver.scopes.models import ScopeApproval
from authserver.tokens.revocations import announce_match


def approve_scope(client: Client, name: str) -> None:
    """Let ``client`` be granted restricted scope ``name`` (added to what it may ask for if missing)."""
    scope = _restricted_scope(name)
    _approve(client, scope)
    if name not in client.scopes:
        client.scopes = [*client.scopes, name]
    record("scope.approved", client_id=client.client_id, scope=name)
    db_session().commit()


def revoke_scope_approval(client: Client, name: str) -> None:
    """Withdraw an approval: the app still asks for the scope and waits for approval again; tokens
    already issued with it lose it (introspection reads ``withheld`` through the client cache)."""
    scope = _restricted_scope(name)
    db_session().execute(
        delete(ScopeApproval).where(ScopeApproval.client_id == client.id, ScopeApproval.scope_id == scope.id)
    )
    announce_match("scope approval revoked", client_id=client.client_id, scope=name)
    record("scope.approval_revoked", client_id=client.client_id, scope=name)
    db_session().commit()


def approve_listed_restricted_scopes(client: Client) -> None:
    """Approve every restricted scope ``client`` lists: an admin registered it so. The caller commits."""
    rows = db_session().scalars(select(Scope).where(Scope.name.in_(client.scopes), Scope.restricted.is_(True)))
    for scope in rows:
        _approve(client, scope)


def withheld_scopes(client: Client) -> list[str]:
    """The restricted scopes ``client`` lists that are not approved for it (what its page says waits)."""
    unapproved = db_session().scalar(select(unapproved_restricted_scopes()).where(Client.id == client.id))
    return policy.withheld_among(client.scopes, unapproved)


def _approve(client: Client, scope: Scope) -> None:
    session = db_session()
    exists = session.scalar(
        select(ScopeApproval.id).where(ScopeApproval.client_id == client.id, ScopeApproval.scope_id == scope.id)
    )
    if exists is None:
        session.add(ScopeApproval(client_id=client.id, scope_id=scope.id))
        session.flush()


def _restricted_scope(name: str) -> Scope:
    scope = db_session().scalar(select(Scope).where(Scope.name == name))
    if scope is None:
        raise NotFound(f"no scope named {name!r}")
    if not scope.restricted:
        raise InvalidInput(f"scope {name!r} is not restricted: every app may be granted it without approval")
    return scope
