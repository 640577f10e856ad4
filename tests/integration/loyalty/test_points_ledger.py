"""The points ledger against a real database: earning by order, refunds and debt, interactions, manual
adjustments, idempotency, expiry, tiers and birthday gifts. Every scenario ends on the ledger invariant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEntry
from siyu.audit.services import Actor
from siyu.core.errors import InvalidInput
from siyu.customers.models import Customer
from siyu.loyalty import services
from siyu.loyalty.errors import IdempotencyConflict, InsufficientPoints, LimitReached, UnknownInteraction
from siyu.loyalty.models import Member, PointsEntry, PointsLot
from tests.factories.loyalty import T0, assert_ledger_holds, make_member, make_program, member_order
from tests.factories.shops import make_shop

DAY = timedelta(days=1)


@pytest.fixture
def by(db: Session) -> Actor:
    by = make_shop(db).principal.actor
    make_program(db, by, join_gift_points=0)
    return by


@pytest.fixture
def member(db: Session, by: Actor) -> Member:
    return make_member(db, by, at=T0 - 10 * DAY)


def grant(db: Session, by: Actor, member: Member, points: int, at: datetime, key: str | None = None) -> int:
    result = services.adjust_points(
        db, by=by, member_id=member.id, points=points, reason="测试", idempotency_key=key or f"g:{at}:{points}", now=at
    )
    return result.points


def lots(db: Session, member: Member) -> list[tuple[str, int, int]]:
    """(source, points, remaining) of the member's lots, in earning order."""
    rows = db.execute(
        select(PointsLot.source, PointsLot.points, PointsLot.remaining)
        .where(PointsLot.member_id == member.id)
        .order_by(PointsLot.earned_at, PointsLot.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


# ---- earning by order ----------------------------------------------------------------------------------------
def test_an_order_earns_whole_yuan_times_the_tier_and_member_day_multipliers(db: Session, by: Actor) -> None:
    make_program(db, by, join_gift_points=0, member_day=3, member_day_multiplier_pct=200)
    member = make_member(db, by, at=datetime(2025, 3, 1, tzinfo=UTC))
    member.tier_level = 3  # gold: 1.5×
    # 00:00 on 3 March in Shanghai is 16:00 on 2 March in UTC: the member day has begun
    on_the_day = member_order(db, member, paid_fen=25_099, at=datetime(2025, 3, 2, 16, 0, tzinfo=UTC))
    just_before = member_order(db, member, paid_fen=25_099, at=datetime(2025, 3, 2, 15, 59, 59, tzinfo=UTC))
    last_minute = member_order(db, member, paid_fen=25_099, at=datetime(2025, 3, 3, 15, 59, 59, tzinfo=UTC))
    day_after = member_order(db, member, paid_fen=25_099, at=datetime(2025, 3, 3, 16, 0, tzinfo=UTC))
    now = datetime(2025, 3, 4, tzinfo=UTC)
    earned = [services.earn_for_order(db, by=by, order_id=o.id, now=now).points for o in (on_the_day, just_before)]
    earned += [services.earn_for_order(db, by=by, order_id=o.id, now=now).points for o in (last_minute, day_after)]
    assert earned == [750, 375, 750, 375]  # 250 yuan × 1.5 × 2 on the member day, × 1.5 otherwise
    entry = db.scalar(select(PointsEntry).where(PointsEntry.idempotency_key == f"order:{on_the_day.order_no}"))
    assert entry is not None and (entry.ref, entry.growth, entry.source) == (on_the_day.order_no, 250, "order")
    assert member.growth_value == 1_000 and member.points_balance == 2_250
    assert_ledger_holds(db, member)


def test_orders_placed_before_joining_or_unpaid_earn_nothing(db: Session, by: Actor, member: Member) -> None:
    before = member_order(db, member, at=member.joined_at - timedelta(seconds=1))
    unpaid = member_order(db, member, at=T0, is_paid=False)
    for order in (before, unpaid):
        with pytest.raises(InvalidInput):
            services.earn_for_order(db, by=by, order_id=order.id, now=T0)
    assert services.sync_order_points(db, by=by, now=T0) == services.OrderSync(0, 0, 0)
    assert member.points_balance == 0
    assert_ledger_holds(db, member)


def test_the_same_order_earns_once(db: Session, by: Actor, member: Member) -> None:
    order = member_order(db, member, paid_fen=10_000, at=T0)
    first = services.earn_for_order(db, by=by, order_id=order.id, now=T0)
    again = services.earn_for_order(db, by=by, order_id=order.id, now=T0 + DAY)
    assert (first.points, first.replayed, again.replayed) == (100, False, True)
    assert first.entry is not None and again.entry is not None and again.entry.id == first.entry.id
    assert member.points_balance == 100
    assert_ledger_holds(db, member)


def test_syncing_order_points_is_idempotent_and_reverses_refunded_orders(
    db: Session, by: Actor, member: Member
) -> None:
    other = make_member(db, by, at=T0 - 10 * DAY)
    member_order(db, member, paid_fen=5_000, at=member.joined_at - DAY)  # before joining
    kept = member_order(db, member, paid_fen=12_000, at=T0 - 5 * DAY)
    refunded = member_order(db, member, paid_fen=8_000, at=T0 - 4 * DAY)
    member_order(db, member, paid_fen=3_000, at=T0 - 3 * DAY, is_paid=False)  # cancelled
    member_order(db, other, paid_fen=20_000, at=T0 - 2 * DAY)
    assert services.sync_order_points(db, by=by, now=T0) == services.OrderSync(3, 120 + 80 + 200, 0)
    assert services.sync_order_points(db, by=by, now=T0) == services.OrderSync(0, 0, 0)
    refunded.is_paid, refunded.status = False, "已退款"
    db.flush()
    assert services.sync_order_points(db, by=by, now=T0 + DAY) == services.OrderSync(0, 0, 1)
    assert services.sync_order_points(db, by=by, now=T0 + DAY) == services.OrderSync(0, 0, 0)
    assert (member.points_balance, other.points_balance) == (120, 200)
    assert member.growth_value == 120  # the refund took its growth back too
    assert kept.is_paid
    assert_ledger_holds(db, member)
    assert_ledger_holds(db, other)


# ---- refunds and debt ------------------------------------------------------------------------------------------
def test_a_refund_takes_back_from_its_own_lot_first(db: Session, by: Actor, member: Member) -> None:
    grant(db, by, member, 100, T0 - 5 * DAY)  # older than the order's points
    order = member_order(db, member, paid_fen=20_000, at=T0 - 4 * DAY)
    services.earn_for_order(db, by=by, order_id=order.id, now=T0 - 4 * DAY)
    services.spend_points(db, by=by, member_id=member.id, points=60, reason="抵现", idempotency_key="s1", now=T0)
    assert lots(db, member) == [("manual", 100, 40), ("order", 200, 200)]  # the spend took the oldest
    result = services.reverse_order_points(db, by=by, order_no=order.order_no, now=T0 + DAY)
    assert result.points == -200
    assert lots(db, member) == [("manual", 100, 40), ("order", 200, 0)]  # not FIFO: the order's own lot
    assert (member.points_balance, member.points_debt) == (40, 0)
    assert_ledger_holds(db, member)


def test_a_refund_takes_what_its_lot_lacks_from_other_points_oldest_first(
    db: Session, by: Actor, member: Member
) -> None:
    order = member_order(db, member, paid_fen=20_000, at=T0 - 4 * DAY)
    services.earn_for_order(db, by=by, order_id=order.id, now=T0 - 4 * DAY)
    grant(db, by, member, 100, T0 - 3 * DAY)
    grant(db, by, member, 100, T0 - 2 * DAY)
    services.spend_points(db, by=by, member_id=member.id, points=150, reason="抵现", idempotency_key="s1", now=T0)
    assert lots(db, member) == [("order", 200, 50), ("manual", 100, 100), ("manual", 100, 100)]
    services.reverse_order_points(db, by=by, order_no=order.order_no, now=T0 + DAY)
    assert lots(db, member) == [("order", 200, 0), ("manual", 100, 0), ("manual", 100, 50)]
    assert (member.points_balance, member.points_debt) == (50, 0)
    assert_ledger_holds(db, member)


def test_points_already_spent_become_a_debt_that_later_earnings_repay(db: Session, by: Actor, member: Member) -> None:
    order = member_order(db, member, paid_fen=20_000, at=T0 - 4 * DAY)
    services.earn_for_order(db, by=by, order_id=order.id, now=T0 - 4 * DAY)
    services.spend_points(db, by=by, member_id=member.id, points=150, reason="兑换", idempotency_key="s1", now=T0)
    refund = services.reverse_order_points(db, by=by, order_no=order.order_no, now=T0 + DAY)
    assert refund.entry is not None and (refund.entry.points, refund.entry.debt_change) == (-50, 150)
    assert (member.points_balance, member.points_debt) == (0, 150)
    assert_ledger_holds(db, member)
    again = services.reverse_order_points(db, by=by, order_no=order.order_no, now=T0 + 2 * DAY)
    assert again.replayed and member.points_debt == 150  # refunded once
    grant(db, by, member, 100, T0 + 3 * DAY)  # all of it repays the debt
    assert (member.points_balance, member.points_debt) == (0, 50)
    assert_ledger_holds(db, member)
    grant(db, by, member, 80, T0 + 4 * DAY)  # 50 repay the rest, 30 are credited
    assert (member.points_balance, member.points_debt) == (30, 0)
    assert lots(db, member)[-1] == ("manual", 80, 30)
    repaid = db.scalars(
        select(PointsEntry.debt_change).where(PointsEntry.member_id == member.id, PointsEntry.kind == "repay")
    )
    assert sorted(repaid) == [-100, -50]
    with pytest.raises(InsufficientPoints):
        services.spend_points(
            db, by=by, member_id=member.id, points=31, reason="", idempotency_key="s2", now=T0 + 5 * DAY
        )
    assert_ledger_holds(db, member)


# ---- interactions ------------------------------------------------------------------------------------------------
def test_check_in_once_a_shop_day_with_the_streak_bonus(db: Session, by: Actor, member: Member) -> None:
    make_program(db, by, join_gift_points=0, checkin={"points": 5, "growth": 1, "streak_bonus": {3: 5, 7: 20}})
    # Shanghai days start at 16:00 UTC: 15:30 and 16:30 UTC on the same UTC date are two shop days
    first = datetime(2025, 3, 9, 15, 30, tzinfo=UTC)
    earned = []
    for n, moment in enumerate(
        [first, first + timedelta(hours=1)] + [first + timedelta(hours=1) + d * DAY for d in range(1, 7)]
    ):
        result = services.earn_interaction(db, by=by, member_id=member.id, kind="checkin", now=moment)
        earned.append(result.points)
        again = services.earn_interaction(
            db, by=by, member_id=member.id, kind="checkin", now=moment + timedelta(minutes=5)
        )
        assert again.replayed and again.points == result.points, n  # once a day
    assert earned == [5, 5, 10, 5, 5, 5, 25, 5]
    assert services.checkin_streak(db, shop_id=by.shop_id, member_id=member.id, now=first + 8 * DAY) == 8
    # a missed day starts again from 1
    after_gap = services.earn_interaction(db, by=by, member_id=member.id, kind="checkin", now=first + 10 * DAY)
    assert after_gap.points == 5 and after_gap.entry is not None and "第 1 天" in after_gap.entry.reason
    assert member.growth_value == 9
    assert_ledger_holds(db, member)


def test_interactions_stop_at_their_daily_limit(db: Session, by: Actor, member: Member) -> None:
    make_program(db, by, join_gift_points=0, interactions={"cart": {"points": 2, "daily_limit": 3}})
    for sku in ("1", "2", "3"):
        services.earn_interaction(db, by=by, member_id=member.id, kind="cart", ref=sku, now=T0)
    with pytest.raises(LimitReached):
        services.earn_interaction(db, by=by, member_id=member.id, kind="cart", ref="4", now=T0)
    services.earn_interaction(db, by=by, member_id=member.id, kind="cart", ref="4", now=T0 + DAY)  # a new day
    assert member.points_balance == 8
    with pytest.raises(LimitReached):  # not set in this programme
        services.earn_interaction(db, by=by, member_id=member.id, kind="vote", now=T0)
    with pytest.raises(UnknownInteraction):
        services.earn_interaction(db, by=by, member_id=member.id, kind="dance", now=T0)
    assert_ledger_holds(db, member)


def test_interactions_stop_at_their_lifetime_limit(db: Session, by: Actor, member: Member) -> None:
    services.earn_interaction(db, by=by, member_id=member.id, kind="follow", ref="shop", now=T0)
    with pytest.raises(LimitReached):
        services.earn_interaction(db, by=by, member_id=member.id, kind="follow", ref="again", now=T0 + 3 * DAY)
    assert member.points_balance == 20
    assert_ledger_holds(db, member)


def test_inviting_a_friend_counts_that_friend_once(db: Session, by: Actor, member: Member) -> None:
    first = services.earn_interaction(db, by=by, member_id=member.id, kind="invite", ref="jd_friend", now=T0)
    again = services.earn_interaction(db, by=by, member_id=member.id, kind="invite", ref="jd_friend", now=T0 + DAY)
    other = services.earn_interaction(db, by=by, member_id=member.id, kind="invite", ref="jd_friend2", now=T0 + DAY)
    assert (first.points, again.replayed, other.points) == (50, True, 50)
    with pytest.raises(InvalidInput):
        services.earn_interaction(db, by=by, member_id=member.id, kind="invite", now=T0)
    assert member.points_balance == 100
    assert_ledger_holds(db, member)


# ---- manual adjustments and idempotency --------------------------------------------------------------------------
def test_a_manual_grant_needs_a_reason_and_is_audited(db: Session, by: Actor, member: Member) -> None:
    with pytest.raises(InvalidInput):
        services.adjust_points(db, by=by, member_id=member.id, points=50, reason=" ", idempotency_key="a", now=T0)
    with pytest.raises(InvalidInput):
        services.adjust_points(db, by=by, member_id=member.id, points=0, reason="补偿", idempotency_key="a", now=T0)
    result = services.adjust_points(
        db, by=by, member_id=member.id, points=50, reason="客诉补偿", idempotency_key="a", now=T0
    )
    assert result.entry is not None and (result.entry.reason, result.entry.kind) == ("客诉补偿", "earn")
    assert result.entry.actor == by.label
    audit = db.scalar(select(AuditEntry).where(AuditEntry.shop_id == by.shop_id, AuditEntry.action == "points.adjust"))
    assert audit is not None
    assert_ledger_holds(db, member)


def test_a_negative_adjustment_never_overdraws(db: Session, by: Actor, member: Member) -> None:
    grant(db, by, member, 100, T0)
    with pytest.raises(InsufficientPoints):
        services.adjust_points(db, by=by, member_id=member.id, points=-101, reason="纠错", idempotency_key="n1", now=T0)
    assert member.points_balance == 100
    services.adjust_points(db, by=by, member_id=member.id, points=-100, reason="纠错", idempotency_key="n2", now=T0)
    assert member.points_balance == 0
    assert_ledger_holds(db, member)


def test_the_same_idempotency_key_twice_grants_once(db: Session, by: Actor, member: Member) -> None:
    first = services.adjust_points(
        db, by=by, member_id=member.id, points=70, reason="活动", idempotency_key="k", now=T0
    )
    again = services.adjust_points(
        db, by=by, member_id=member.id, points=70, reason="活动", idempotency_key="k", now=T0
    )
    assert not first.replayed and again.replayed
    assert first.entry is not None and again.entry is not None and first.entry.id == again.entry.id
    assert member.points_balance == 70
    count = db.scalar(select(func.count()).select_from(PointsEntry).where(PointsEntry.idempotency_key == "k"))
    assert count == 1
    assert_ledger_holds(db, member)


def test_the_same_key_for_another_member_or_another_kind_of_request_is_a_conflict(
    db: Session, by: Actor, member: Member
) -> None:
    other = make_member(db, by, at=T0 - DAY)
    services.adjust_points(db, by=by, member_id=member.id, points=70, reason="活动", idempotency_key="k", now=T0)
    with pytest.raises(IdempotencyConflict):
        services.adjust_points(db, by=by, member_id=other.id, points=70, reason="活动", idempotency_key="k", now=T0)
    with pytest.raises(IdempotencyConflict):  # a spend is not a replay of the grant that used the key
        services.spend_points(db, by=by, member_id=member.id, points=10, reason="", idempotency_key="k", now=T0)
    assert (member.points_balance, other.points_balance) == (70, 0)
    assert_ledger_holds(db, member)
    assert_ledger_holds(db, other)


# ---- expiry ---------------------------------------------------------------------------------------------------------
def test_points_expire_oldest_first_exactly_when_due(db: Session, by: Actor) -> None:
    make_program(db, by, join_gift_points=0, expiry_days=30, expiring_notice_days=7)
    member = make_member(db, by, at=T0 - DAY)
    grant(db, by, member, 100, T0)
    grant(db, by, member, 50, T0 + 10 * DAY)
    services.spend_points(db, by=by, member_id=member.id, points=30, reason="", idempotency_key="s", now=T0 + DAY)
    assert lots(db, member) == [("manual", 100, 70), ("manual", 50, 50)]
    soon = services.expiring_soon(db, shop_id=by.shop_id, member_id=member.id, now=T0 + 25 * DAY)
    assert (soon.points, soon.first_at) == (70, T0 + 30 * DAY)
    assert services.expiring_soon(db, shop_id=by.shop_id, member_id=member.id, now=T0 + 20 * DAY).points == 0
    wide = services.expiring_soon(db, shop_id=by.shop_id, member_id=member.id, now=T0 + 25 * DAY, within_days=30)
    assert wide.points == 120
    assert services.expire_points(db, by=by, now=T0 + 30 * DAY - timedelta(microseconds=1)) == 0
    assert services.expire_points(db, by=by, now=T0 + 30 * DAY) == 70
    assert services.expire_points(db, by=by, now=T0 + 30 * DAY) == 0
    assert member.points_balance == 50 and lots(db, member) == [("manual", 100, 0), ("manual", 50, 50)]
    # points are also expired before any change of the member, without waiting for the nightly job
    with pytest.raises(InsufficientPoints), db.begin_nested():  # the failed request's transaction
        services.spend_points(
            db, by=by, member_id=member.id, points=1, reason="", idempotency_key="t", now=T0 + 40 * DAY
        )
    db.refresh(member)
    assert member.points_balance == 50  # everything the failed spend did was rolled back
    assert services.expire_points(db, by=by, now=T0 + 40 * DAY) == 50
    assert member.points_balance == 0
    kinds = db.scalars(
        select(PointsEntry.points).where(PointsEntry.member_id == member.id, PointsEntry.kind == "expire")
    )
    assert sorted(kinds) == [-70, -50]
    assert_ledger_holds(db, member)


def test_points_never_expire_when_the_programme_says_so(db: Session, by: Actor) -> None:
    make_program(db, by, join_gift_points=0, expiry_days=0)
    member = make_member(db, by, at=T0 - DAY)
    grant(db, by, member, 100, T0)
    assert services.expire_points(db, by=by, now=T0 + 3_650 * DAY) == 0
    assert services.expiring_soon(db, shop_id=by.shop_id, member_id=member.id, now=T0).points == 0
    assert member.points_balance == 100
    assert_ledger_holds(db, member)


# ---- tiers ----------------------------------------------------------------------------------------------------------
def test_a_member_is_upgraded_as_soon_as_an_order_reaches_the_threshold(db: Session, by: Actor, member: Member) -> None:
    services.save_tiers(
        db,
        by=by,
        tiers=[
            services.TierSpec("普通", 0),
            services.TierSpec("银卡", 50_000, 120, upgrade_gift_points=30),
            services.TierSpec("金卡", 200_000, 150, upgrade_gift_points=70),
        ],
    )
    first = member_order(db, member, paid_fen=30_000, at=T0)
    services.earn_for_order(db, by=by, order_id=first.id, now=T0)
    assert member.tier_level == 1
    second = member_order(db, member, paid_fen=180_000, at=T0 + DAY)
    result = services.earn_for_order(db, by=by, order_id=second.id, now=T0 + DAY)
    assert result.points == 1_800  # earned at the tier the member had when ordering
    assert member.tier_level == 3 and member.tier_changed_at == T0 + DAY
    gifts = db.scalars(
        select(PointsEntry.points).where(PointsEntry.member_id == member.id, PointsEntry.source == "tier_gift")
    )
    assert sorted(gifts) == [30, 70]  # every tier passed gives its gift
    third = member_order(db, member, paid_fen=10_000, at=T0 + 2 * DAY)
    assert services.earn_for_order(db, by=by, order_id=third.id, now=T0 + 2 * DAY).points == 150
    assert_ledger_holds(db, member)


@pytest.mark.parametrize(("rule", "after"), [("none", 4), ("one_level", 3), ("to_fitting", 2)])
def test_the_tier_review_downgrades_by_the_programmes_rule(db: Session, by: Actor, rule: str, after: int) -> None:
    make_program(db, by, join_gift_points=0, downgrade=rule, tier_window_days=365)
    member = make_member(db, by, at=T0 - 400 * DAY)
    climber = make_member(db, by, at=T0 - 400 * DAY)
    member.tier_level = 4
    member_order(db, member, paid_fen=60_000, at=T0 - 30 * DAY)  # silver spend in the window
    member_order(db, member, paid_fen=900_000, at=T0 - 380 * DAY)  # diamond spend, but outside the window
    member_order(db, climber, paid_fen=250_000, at=T0 - 3 * DAY)
    db.flush()
    review = services.review_tiers(db, by=by, now=T0)
    assert member.tier_level == after
    assert climber.tier_level == 3  # upgrades are never held back
    assert review == services.TierReview(2, 1, 0 if rule == "none" else 1)
    again = services.review_tiers(db, by=by, now=T0)
    expected_twice = {"none": 4, "one_level": 2, "to_fitting": 2}[rule]
    assert member.tier_level == expected_twice and again.upgraded == 0
    assert_ledger_holds(db, member)


# ---- birthday gifts ------------------------------------------------------------------------------------------------
def test_the_birthday_gift_comes_once_a_year_and_29_february_counts_on_28_february(db: Session, by: Actor) -> None:
    make_program(db, by, join_gift_points=0, birthday_gift_points=200)
    leapling = make_member(db, by, at=T0 - DAY, birthday=date(2000, 2, 29))
    other = make_member(db, by, at=T0 - DAY, birthday=date(1990, 2, 28))
    nobody = make_member(db, by, at=T0 - DAY)  # no birthday known
    assert services.grant_birthday_gifts(db, by=by, today=date(2025, 2, 27)) == 0
    assert services.grant_birthday_gifts(db, by=by, today=date(2025, 2, 28)) == 2
    assert services.grant_birthday_gifts(db, by=by, today=date(2025, 2, 28)) == 0  # once a year
    assert services.grant_birthday_gifts(db, by=by, today=date(2025, 3, 1)) == 0
    assert (leapling.points_balance, other.points_balance, nobody.points_balance) == (200, 200, 0)
    # in a leap year, 29 February itself
    assert services.grant_birthday_gifts(db, by=by, today=date(2028, 2, 28)) == 1  # only the one born on the 28th
    assert services.grant_birthday_gifts(db, by=by, today=date(2028, 2, 29)) == 1
    db.refresh(leapling)
    assert leapling.points_balance == 400
    for m in (leapling, other, nobody):
        assert_ledger_holds(db, m)
    assert db.get_one(Customer, leapling.customer_id).birthday == date(2000, 2, 29)


def test_growth_from_an_order_that_earns_no_points_is_counted_once(db: Session, by: Actor, member: Member) -> None:
    make_program(db, by, join_gift_points=0, points_per_yuan=0, growth_per_yuan=1)
    member_order(db, member, paid_fen=10_000, at=T0)
    services.sync_order_points(db, by=by, now=T0)
    services.sync_order_points(db, by=by, now=T0 + DAY)
    db.refresh(member)
    assert member.growth_value == 100


def test_a_refund_takes_back_growth_even_when_the_order_earned_no_points(
    db: Session, by: Actor, member: Member
) -> None:
    make_program(db, by, join_gift_points=0, points_per_yuan=0, growth_per_yuan=1)
    order = member_order(db, member, paid_fen=10_000, at=T0)
    services.sync_order_points(db, by=by, now=T0)
    services.reverse_order_points(db, by=by, order_no=order.order_no, now=T0 + DAY)
    db.refresh(member)
    assert member.growth_value == 0
    assert_ledger_holds(db, member)
