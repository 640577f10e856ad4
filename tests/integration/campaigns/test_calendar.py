"""The campaign calendar with a database (SPEC §4 "Planning rules"): events stored in UTC and planned in
shop time, waves outside the shop's own quiet hours, reach per event kind, and yearly coverage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEntry
from siyu.campaigns import calendar, services
from siyu.campaigns.models import Campaign, PlannedEvent
from siyu.channels import services as channels
from siyu.channels.models import OutboxMessage
from siyu.core.errors import InvalidInput, NotFound
from tests.factories.campaigns import reachable_customers, spec
from tests.factories.shops import ShopWorld, make_shop

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 shop time


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db)


def event_spec(**changes: object) -> calendar.EventSpec:
    values: dict[str, object] = {"name": "双12 年终盛典", "kind": "big", "starts_at": datetime(2026, 12, 12, 0, 0)}
    values.update(changes)
    return calendar.EventSpec(**values)  # type: ignore[arg-type]


def test_event_times_are_entered_in_shop_time_and_stored_in_utc(db: Session, world: ShopWorld) -> None:
    event = calendar.create_event(db, by=world.principal.actor, spec=event_spec())
    db.expire_all()
    stored = db.get_one(PlannedEvent, event.id)
    assert stored.starts_at == datetime(2026, 12, 11, 16, 0, tzinfo=UTC)  # 0:00 in Beijing
    plan = calendar.event_plans(db, shop_id=world.shop.id, events=[stored])[0]
    assert plan.starts_local == datetime(2026, 12, 12, 0, 0)
    assert db.scalar(select(AuditEntry.action).where(AuditEntry.target_type == "planned_event")) == "calendar.create"


def test_big_promotion_plans_preheat_waves_and_the_eve_outside_quiet_hours(db: Session, world: ShopWorld) -> None:
    event = calendar.create_event(db, by=world.principal.actor, spec=event_spec())
    plan = calendar.event_plans(db, shop_id=world.shop.id, events=[event])[0]
    assert [w.send_at for w in plan.waves] == [
        datetime(2026, 12, 9, 10, 0),
        datetime(2026, 12, 10, 10, 0),
        datetime(2026, 12, 11, 19, 0),  # the eve's 20:00 is in the default quiet hours 20:00–08:00
    ]
    assert plan.waves[-1].moved and "免打扰" in plan.waves[-1].warning_zh


def test_waves_follow_the_shops_own_quiet_hours(db: Session, world: ShopWorld) -> None:
    by = world.principal.actor
    channels.update_channel_settings(db, by=by, channel="sms", changes={"quiet_start": "22:00", "quiet_end": "08:00"})
    event = calendar.create_event(db, by=by, spec=event_spec())
    plan = calendar.event_plans(db, shop_id=world.shop.id, events=[event])[0]
    eve = plan.waves[-1]
    assert eve.send_at == datetime(2026, 12, 11, 20, 0) and not eve.moved  # the seed's 20:00–22:00 eve wave


@pytest.mark.parametrize(("kind", "reach"), [("big", 40), ("medium", 12), ("routine", 4), ("new_arrival", 12)])
def test_event_kind_sets_the_share_of_marketable_customers_to_reach(
    db: Session, world: ShopWorld, kind: str, reach: int
) -> None:
    by = world.principal.actor
    reachable_customers(db, by, 40)
    reachable_customers(db, by, 5, consent=False)  # consent is required by default: not marketable
    opted_out = reachable_customers(db, by, 2)
    for customer_id in opted_out:
        channels.withdraw_consent(db, by=by, customer_id=customer_id, channel="sms", proof=channels.PROOF_REPLY)
    event = calendar.create_event(db, by=by, spec=event_spec(kind=kind))
    plan = calendar.event_plans(db, shop_id=world.shop.id, events=[event])[0]
    assert (plan.customers, plan.reach) == (40, reach)


def test_campaigns_prepared_for_an_event_show_under_it_and_survive_its_deletion(db: Session, world: ShopWorld) -> None:
    by = world.principal.actor
    event = calendar.create_event(db, by=by, spec=event_spec())
    campaign = services.create_campaign(db, by=by, spec=spec(None, event_id=event.id))
    plan = calendar.event_plans(db, shop_id=world.shop.id, events=[event])[0]
    assert [c.id for c in plan.campaigns] == [campaign.id]
    calendar.delete_event(db, by=by, event_id=event.id)
    db.expire_all()
    assert db.get(PlannedEvent, event.id) is None
    assert db.get_one(Campaign, campaign.id).event_id is None


def test_bad_events_are_refused_and_nothing_is_stored(db: Session, world: ShopWorld) -> None:
    by = world.principal.actor
    bad = [
        event_spec(name="  "),
        event_spec(kind="huge"),
        event_spec(festival="520"),
        event_spec(ends_at=datetime(2026, 12, 11, 0, 0)),
    ]
    for wrong in bad:
        with pytest.raises(InvalidInput) as refused:
            calendar.create_event(db, by=by, spec=wrong)
        assert refused.value.zh and refused.value.en
    assert db.scalars(select(PlannedEvent)).all() == []


def test_another_shops_event_is_not_found(db: Session, world: ShopWorld) -> None:
    other = make_shop(db, name="乙店")
    event = calendar.create_event(db, by=other.principal.actor, spec=event_spec())
    with pytest.raises(NotFound):
        calendar.get_event(db, shop_id=world.shop.id, event_id=event.id)
    with pytest.raises(NotFound):
        calendar.delete_event(db, by=world.principal.actor, event_id=event.id)
    assert calendar.list_events(db, shop_id=world.shop.id) == []


def test_events_are_listed_by_shop_local_year(db: Session, world: ShopWorld) -> None:
    by = world.principal.actor
    new_year = calendar.create_event(db, by=by, spec=event_spec(name="元旦", starts_at=datetime(2027, 1, 1, 0, 0)))
    calendar.create_event(db, by=by, spec=event_spec())
    assert [e.id for e in calendar.list_events(db, shop_id=world.shop.id, year=2027)] == [new_year.id]
    assert len(calendar.list_events(db, shop_id=world.shop.id, year=2026)) == 1


def test_festival_start_is_the_next_occurrence() -> None:
    assert calendar.festival_start("618", date(2026, 12, 3)) == datetime(2027, 6, 18)
    assert calendar.festival_start("12.12", date(2026, 12, 3)) == datetime(2026, 12, 12)
    with pytest.raises(InvalidInput):
        calendar.festival_start("520", date(2026, 12, 3))


_refs = iter(range(1, 1_000_000))


def sent(db: Session, shop_id: int, customer_id: int, count: int, *, at: datetime, **row: object) -> None:
    for _ in range(count):
        db.add(
            OutboxMessage(
                shop_id=shop_id,
                channel=row.get("channel", "sms"),
                purpose=row.get("purpose", "marketing"),
                customer_id=customer_id,
                ref=f"t-{next(_refs)}",
                text="【测试旗舰店】上新啦 拒收请回复R",
                status=row.get("status", "delivered"),
                due_at=at,
                sent_at=at,
            )
        )
    db.flush()


def test_yearly_coverage_counts_marketing_sms_per_customer_and_flags_those_below_five(
    db: Session, world: ShopWorld
) -> None:
    by = world.principal.actor
    shop_id = world.shop.id
    ids = reachable_customers(db, by, 5, name="韩梅梅")
    recent = NOW - timedelta(days=30)
    sent(db, shop_id, ids[0], 7, at=recent)
    sent(db, shop_id, ids[1], 5, at=recent)
    sent(db, shop_id, ids[2], 2, at=recent)
    sent(db, shop_id, ids[2], 4, at=NOW - timedelta(days=400))  # older than a year: not counted
    sent(db, shop_id, ids[3], 3, at=recent, purpose="notification")  # not marketing
    sent(db, shop_id, ids[3], 3, at=recent, status="failed")  # never reached the customer
    sent(db, shop_id, ids[3], 2, at=recent, channel="app")  # another channel
    coverage = calendar.yearly_coverage(db, shop_id=shop_id, now=NOW)
    assert dict(coverage.buckets) == {"0": 2, "1": 0, "2": 1, "3": 0, "4": 0, "5": 1, "6+": 1}
    assert (coverage.customers, coverage.below_minimum, coverage.messages) == (5, 3, 14)
    assert [(cid, n) for cid, _, n in coverage.fewest] == [(ids[3], 0), (ids[4], 0), (ids[2], 2)]
    assert coverage.fewest[0][1] == "韩梅梅"
    assert coverage.below_share == pytest.approx(0.6)


def test_yearly_coverage_of_an_empty_shop_is_all_zero(db: Session, world: ShopWorld) -> None:
    coverage = calendar.yearly_coverage(db, shop_id=world.shop.id, now=NOW)
    assert coverage.customers == 0 and coverage.below_share == 0.0
    assert [n for _, n in coverage.buckets] == [0] * 7


def test_a_campaign_cannot_prepare_another_shops_event(db: Session, world: ShopWorld) -> None:
    other = make_shop(db, name="乙店")
    event = calendar.create_event(db, by=other.principal.actor, spec=event_spec())
    with pytest.raises(NotFound):
        services.create_campaign(db, by=world.principal.actor, spec=spec(None, event_id=event.id))
