from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEntry


def recent_entries(
    session: Session, *, shop_id: int, limit: int = 100, before_id: int | None = None
) -> list[AuditEntry]:
    """The shop's audit log, newest first."""
    stmt = select(AuditEntry).where(AuditEntry.shop_id == shop_id)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 1000)))))
