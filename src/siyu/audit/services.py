"""Record an audit row inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from siyu.audit.models import AuditEntry
from siyu.db import utcnow


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a staff member, an API token, or the system; always inside one shop."""

    shop_id: int
    kind: str  # "staff" | "token" | "system" | "customer" (a buyer on the H5 pages)
    id: int | None
    name: str

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}:{self.name}" if self.id is not None else f"{self.kind}:{self.name}"


def record(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: object = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        shop_id=actor.shop_id,
        actor=actor.label,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        before=before,
        after=after,
        at=utcnow(),
    )
    session.add(entry)
    return entry
