"""Use cases of the campaign calendar (营销日历): the shop's planned events, the SMS waves and reach the seed
advises for each, and the per-customer yearly coverage of marketing SMS (SPEC §4 "Planning rules").

The pure rules live in :mod:`siyu.campaigns.planning` and work in the shop's local wall-clock time; this
module stores event times in UTC and converts at its edge with the shop's time zone. Quiet hours come
from the shop's SMS channel settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu.audit.services import Actor, record
from siyu.campaigns import planning
from siyu.campaigns.models import Campaign, PlannedEvent
from siyu.channels.services import channel_settings
from siyu.channels.services import quiet_hours as channel_quiet_hours
from siyu.core.errors import InvalidInput, NotFound
from siyu.db import DriverSQL, shop_row, utcnow
from siyu.shops.services import shop_zone


def to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    """A stored UTC datetime as naive shop-local wall-clock time."""
    return moment.astimezone(zone).replace(tzinfo=None)


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """Naive shop-local wall-clock time as an aware UTC datetime."""
    return local.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))


# ---- events --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EventSpec:
    """An event as the user enters it; ``starts_at``/``ends_at`` are naive shop-local datetimes."""

    name: str
    kind: str
    starts_at: datetime
    ends_at: datetime | None = None
    festival: str = ""
    note: str = ""

    def check(self) -> planning.PlannedEvent:
        """The pure event, after the rules every stored event obeys."""
        name = self.name.strip()
        if not name or len(name) > 100:
            raise InvalidInput(
                "活动名称必填，最多 100 个字", "an event needs a name of at most 100 characters", code="event_name"
            )
        if len(self.note) > 300:
            raise InvalidInput("备注最多 300 个字", "the note holds at most 300 characters", code="event_note")
        return planning.PlannedEvent(name, self.kind, self.starts_at, self.ends_at, self.festival)


def _fields(spec: EventSpec, zone: ZoneInfo) -> dict[str, object]:
    spec.check()
    return {
        "name": spec.name.strip(),
        "kind": spec.kind,
        "festival": spec.festival,
        "starts_at": to_utc(spec.starts_at, zone),
        "ends_at": to_utc(spec.ends_at, zone) if spec.ends_at is not None else None,
        "note": spec.note.strip(),
    }


def get_event(session: Session, *, shop_id: int, event_id: int) -> PlannedEvent:
    event = shop_row(session, PlannedEvent, event_id, shop_id)
    if event is None:
        raise NotFound("营销日历活动", "calendar event")
    return event


def list_events(session: Session, *, shop_id: int, year: int | None = None) -> list[PlannedEvent]:
    """The shop's events by start, optionally those starting in one (shop-local) calendar year."""
    query = select(PlannedEvent).where(PlannedEvent.shop_id == shop_id)
    if year is not None:
        zone = shop_zone(session, shop_id)
        start, end = to_utc(datetime(year, 1, 1), zone), to_utc(datetime(year + 1, 1, 1), zone)
        query = query.where(PlannedEvent.starts_at >= start, PlannedEvent.starts_at < end)
    return list(session.scalars(query.order_by(PlannedEvent.starts_at, PlannedEvent.id)))


def create_event(session: Session, *, by: Actor, spec: EventSpec) -> PlannedEvent:
    zone = shop_zone(session, by.shop_id)
    event = PlannedEvent(shop_id=by.shop_id, **_fields(spec, zone))
    session.add(event)
    session.flush()
    record(session, by, "calendar.create", "planned_event", event.id, after=_audit(event))
    return event


def update_event(session: Session, *, by: Actor, event_id: int, spec: EventSpec) -> PlannedEvent:
    event = get_event(session, shop_id=by.shop_id, event_id=event_id)
    before = _audit(event)
    for key, value in _fields(spec, shop_zone(session, by.shop_id)).items():
        setattr(event, key, value)
    session.flush()
    record(session, by, "calendar.update", "planned_event", event.id, before=before, after=_audit(event))
    return event


def delete_event(session: Session, *, by: Actor, event_id: int) -> None:
    """Remove an event; campaigns that prepared it keep their figures and lose only the link."""
    event = get_event(session, shop_id=by.shop_id, event_id=event_id)
    before = _audit(event)
    session.execute(
        update(Campaign).where(Campaign.shop_id == by.shop_id, Campaign.event_id == event.id).values(event_id=None)
    )
    session.delete(event)
    session.flush()
    record(session, by, "calendar.delete", "planned_event", event_id, before=before)


def _audit(event: PlannedEvent) -> dict[str, object]:
    return {
        "name": event.name,
        "kind": event.kind,
        "festival": event.festival,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat() if event.ends_at else None,
    }


# ---- the plan of one event -----------------------------------------------------------------------------
@dataclass
class EventPlan:
    """What the calendar shows for an event: its local times, the seed's waves and the reach to aim for."""

    event: PlannedEvent
    starts_local: datetime
    ends_local: datetime | None
    waves: list[planning.Wave]
    share: float
    """The share of customers the event's kind should reach (big 100%, medium 30%, routine 10%)."""
    customers: int
    """Customers of the shop with a phone who may receive marketing SMS."""
    reach: int
    """``customers × share``, rounded up: how many the event's campaigns should reach."""
    campaigns: list[Campaign] = field(default_factory=list)
    planned: int = 0
    """Recipients queued by the campaigns that prepare this event."""

    @property
    def kind_zh(self) -> str:
        return planning.EVENT_KINDS[self.event.kind].label_zh

    @property
    def kind_en(self) -> str:
        return planning.EVENT_KINDS[self.event.kind].label_en

    @property
    def festival_zh(self) -> str:
        return planning.FESTIVALS[self.event.festival][0] if self.event.festival else ""


def marketable_customers(session: Session, shop_id: int) -> int:
    """Customers with a phone who may receive marketing SMS: not opted out and, when the shop requires
    consent (the default), with consent on record. The calendar's base for an event's reach."""
    settings = channel_settings(session, shop_id=shop_id, channel="sms")
    consent = (
        "EXISTS (SELECT 1 FROM consents k WHERE k.shop_id = c.shop_id AND k.customer_id = c.id"
        " AND k.channel = 'sms' AND k.status = 'granted')"
        if settings.require_consent
        else "NOT EXISTS (SELECT 1 FROM consents k WHERE k.shop_id = c.shop_id AND k.customer_id = c.id"
        " AND k.channel = 'sms' AND k.status = 'withdrawn')"
    )
    sql = DriverSQL(session)
    rows = sql.query(
        f"SELECT COUNT(*) FROM customers c WHERE c.shop_id = {sql.ph} AND c.phone_cipher IS NOT NULL AND {consent}",
        (shop_id,),
    )
    return int(rows[0][0]) if rows else 0


def quiet_hours(session: Session, shop_id: int) -> tuple[time, time]:
    return channel_quiet_hours(channel_settings(session, shop_id=shop_id, channel="sms"))


def event_plans(session: Session, *, shop_id: int, events: list[PlannedEvent]) -> list[EventPlan]:
    """The plan of each event: waves outside the shop's quiet hours, reach and the campaigns prepared."""
    zone = shop_zone(session, shop_id)
    quiet_start, quiet_end = quiet_hours(session, shop_id)
    customers = marketable_customers(session, shop_id)
    by_event: dict[int, list[Campaign]] = {}
    if events:
        linked = session.scalars(
            select(Campaign)
            .where(Campaign.shop_id == shop_id, Campaign.event_id.in_([e.id for e in events]))
            .order_by(Campaign.created_at)
        )
        for campaign in linked:
            by_event.setdefault(campaign.event_id or 0, []).append(campaign)
    plans = []
    for event in events:
        starts = to_local(event.starts_at, zone)
        ends = to_local(event.ends_at, zone) if event.ends_at is not None else None
        pure = planning.PlannedEvent(event.name, event.kind, starts, ends, event.festival)
        share = planning.coverage_share(event.kind)
        campaigns = by_event.get(event.id, [])
        plans.append(
            EventPlan(
                event=event,
                starts_local=starts,
                ends_local=ends,
                waves=planning.plan_waves(pure, quiet_start=quiet_start, quiet_end=quiet_end),
                share=float(share),
                customers=customers,
                reach=math.ceil(customers * share),
                campaigns=campaigns,
                planned=sum(c.queued_count for c in campaigns),
            )
        )
    return plans


def festival_start(festival: str, today: date) -> datetime:
    """The next start (shop-local, 0:00) of a festival from today: 618 on 6.18, 11.11, 12.12; the New Year
    goods festival (年货节) about three weeks before the Spring Festival, placed on 1.10 as a first guess."""
    month_day = {"618": (6, 18), "11.11": (11, 11), "12.12": (12, 12), "nianhuo": (1, 10)}
    if festival not in month_day:
        raise InvalidInput(
            f"未知的大促节点「{festival}」", f"unknown festival '{festival}'", code="campaign_unknown_festival"
        )
    month, day = month_day[festival]
    start = date(today.year, month, day)
    if start < today:
        start = date(today.year + 1, month, day)
    return datetime.combine(start, time(0))


# ---- yearly coverage per customer ----------------------------------------------------------------------
@dataclass
class Coverage:
    """How many marketing SMS each customer received in the last 365 days (SPEC §4: at least 5–6 a year)."""

    since: datetime
    until: datetime
    customers: int
    buckets: list[tuple[str, int]]
    below_minimum: int
    messages: int
    minimum: int = planning.YEARLY_MINIMUM
    fewest: list[tuple[int, str, int]] = field(default_factory=list)
    """A sample of customers below the minimum: (customer id, name or else JD account, messages), fewest first."""

    @property
    def below_share(self) -> float:
        return self.below_minimum / self.customers if self.customers else 0.0


def yearly_coverage(session: Session, *, shop_id: int, now: datetime | None = None, sample: int = 20) -> Coverage:
    """Marketing SMS sent or delivered to each customer with a phone in the 365 days before ``now``;
    customers who received none count in the "0" bucket."""
    until = now or utcnow()
    since = until - timedelta(days=365)
    sql = DriverSQL(session)
    p = sql.ph
    per_customer = (
        "SELECT c.id AS id, COALESCE(NULLIF(c.name, ''), c.account) AS name, COALESCE(m.n, 0) AS n"
        " FROM customers c LEFT JOIN ("
        " SELECT customer_id, COUNT(*) AS n FROM outbox WHERE shop_id = "
        f"{p} AND channel = 'sms' AND purpose = 'marketing' AND status IN ('sent', 'delivered')"
        f" AND sent_at >= {p} AND sent_at < {p} GROUP BY customer_id"
        f") m ON m.customer_id = c.id WHERE c.shop_id = {p} AND c.phone_cipher IS NOT NULL"
    )
    params = (shop_id, sql.time_value(since), sql.time_value(until), shop_id)
    top = len(planning.BUCKETS) - 1
    rows = sql.query(
        f"SELECT CASE WHEN n >= {top} THEN {top} ELSE n END AS bucket, COUNT(*), SUM(n)"
        f" FROM ({per_customer}) AS per_customer GROUP BY 1",
        params,
    )
    tally = dict.fromkeys(range(top + 1), 0)
    messages = 0
    for bucket, count, total in rows:
        tally[int(bucket)] = int(count)
        messages += int(total or 0)
    buckets = [(label, tally[i]) for i, label in enumerate(planning.BUCKETS)]
    below = sum(count for i, count in tally.items() if planning.below_minimum(i))
    fewest = [
        (int(cid), str(name), int(n))
        for cid, name, n in sql.query(
            f"SELECT id, name, n FROM ({per_customer}) AS per_customer WHERE n < {planning.YEARLY_MINIMUM}"
            f" ORDER BY n, id LIMIT {int(sample)}",
            params,
        )
    ]
    return Coverage(
        since=since,
        until=until,
        customers=sum(tally.values()),
        buckets=buckets,
        below_minimum=below,
        messages=messages,
        fewest=fewest,
    )
