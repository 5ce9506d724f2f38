from __future__ import annotations

from flask import has_request_context
from flask import request

from authserver.audit.models import AuditEvent
from authserver.extensions import db_session


def record(event: str, *, user_id: int | None = None, client_id: str | None = None, **details) -> None:
    """Add an audit event to the current transaction (it commits or rolls back with the change)."""
    ip = request.remote_addr if has_request_context() else None
    db_session().add(AuditEvent(event=event, user_id=user_id, client_id=client_id, ip=ip, details=details))
