from __future__ import annotations

from flask import has_request_context
from flask import request
from sqlalchemy import select

from authserver.audit.models import AuditEvent
from authserver.extensions import db_session


def record(event: str, *, user_id: int | None = None, client_id: str | None = None, **details) -> None:
    """Add an audit event to the current transaction (it commits or rolls back with the change)."""
    ip = request.remote_addr if has_request_context() else None
    db_session().add(AuditEvent(event=event, user_id=user_id, client_id=client_id, ip=ip, details=details))


def latest(limit: int) -> list[AuditEvent]:
    """The ``limit`` most recent events, oldest first (as a log reads)."""
    newest = db_session().scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit))
    return list(reversed(list(newest)))


def event_as_dict(event: AuditEvent) -> dict:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "event": event.event,
        "user_id": event.user_id,
        "client_id": event.client_id,
        "ip": event.ip,
        "details": event.details or {},
    }
