"""The campaign calendar (营销日历): planned events with the seed's SMS waves and reach, and the per-customer
yearly coverage of marketing SMS. Event times are the shop's local wall-clock time (no offset)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, field_validator

from siyu.api.deps import SessionDep, require
from siyu.campaigns import calendar
from siyu.shops.services import Principal

router = APIRouter(tags=["calendar"])
Viewer = Annotated[Principal, Depends(require("campaigns:view"))]
Manager = Annotated[Principal, Depends(require("campaigns:manage"))]


class EventIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["big", "medium", "routine", "new_arrival"]
    starts_at: datetime = Field(description="shop-local time, e.g. 2027-06-18T00:00")
    ends_at: datetime | None = None
    festival: Literal["", "618", "11.11", "12.12", "nianhuo"] = ""
    note: str = Field(default="", max_length=300)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _local(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("event times are the shop's local time: leave out the offset")
        return value

    def spec(self) -> calendar.EventSpec:
        return calendar.EventSpec(**self.model_dump())


def _plan_out(plan: calendar.EventPlan) -> dict[str, Any]:
    event = plan.event
    return {
        "id": event.id,
        "name": event.name,
        "kind": event.kind,
        "kind_zh": plan.kind_zh,
        "festival": event.festival,
        "note": event.note,
        "starts_at": plan.starts_local.isoformat(),
        "ends_at": plan.ends_local.isoformat() if plan.ends_local else None,
        "share": plan.share,
        "marketable_customers": plan.customers,
        "reach": plan.reach,
        "planned": plan.planned,
        "campaigns": [{"id": c.id, "name": c.name, "status": c.status} for c in plan.campaigns],
        "waves": [
            {
                "send_at": w.send_at.isoformat(),
                "step": w.step,
                "label_zh": w.label_zh,
                "label_en": w.label_en,
                "moved": w.moved,
                "warning_zh": w.warning_zh,
                "warning_en": w.warning_en,
            }
            for w in plan.waves
        ],
    }


def _one(session: SessionDep, shop_id: int, event_id: int) -> dict[str, Any]:
    event = calendar.get_event(session, shop_id=shop_id, event_id=event_id)
    return _plan_out(calendar.event_plans(session, shop_id=shop_id, events=[event])[0])


@router.get("/calendar/events")
def list_events(
    session: SessionDep, principal: Viewer, year: int | None = Query(None, ge=2000, le=2100)
) -> list[dict[str, Any]]:
    """The shop's events by start (optionally one year), each with its waves, reach and campaigns."""
    events = calendar.list_events(session, shop_id=principal.shop_id, year=year)
    return [_plan_out(p) for p in calendar.event_plans(session, shop_id=principal.shop_id, events=events)]


@router.post("/calendar/events", status_code=201)
def create_event(session: SessionDep, principal: Manager, body: EventIn) -> dict[str, Any]:
    """Put an event on the calendar; the answer carries the waves the seed advises."""
    event = calendar.create_event(session, by=principal.actor, spec=body.spec())
    return _one(session, principal.shop_id, event.id)


@router.get("/calendar/events/{event_id}")
def get_event(session: SessionDep, principal: Viewer, event_id: int) -> dict[str, Any]:
    return _one(session, principal.shop_id, event_id)


@router.put("/calendar/events/{event_id}")
def update_event(session: SessionDep, principal: Manager, event_id: int, body: EventIn) -> dict[str, Any]:
    calendar.update_event(session, by=principal.actor, event_id=event_id, spec=body.spec())
    return _one(session, principal.shop_id, event_id)


@router.delete("/calendar/events/{event_id}", status_code=204)
def delete_event(session: SessionDep, principal: Manager, event_id: int) -> None:
    """Remove an event; its campaigns stay (unlinked)."""
    calendar.delete_event(session, by=principal.actor, event_id=event_id)


@router.get("/calendar/coverage")
def coverage(session: SessionDep, principal: Viewer) -> dict[str, Any]:
    """Marketing SMS per customer over the last 365 days: buckets 0…6+, how many are below the yearly
    minimum of 5, and a sample of those customers."""
    found = calendar.yearly_coverage(session, shop_id=principal.shop_id)
    return {
        "since": found.since,
        "until": found.until,
        "customers": found.customers,
        "messages": found.messages,
        "minimum": found.minimum,
        "below_minimum": found.below_minimum,
        "below_share": found.below_share,
        "buckets": [{"messages": label, "customers": n} for label, n in found.buckets],
        "fewest": [{"customer_id": cid, "name": name, "messages": n} for cid, name, n in found.fewest],
    }
