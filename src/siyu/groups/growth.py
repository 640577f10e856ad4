"""Growth value (成长值) and daily check-in (签到) in the shop's groups (SPEC §7–8).

Members earn growth value by checking in and by taking part in group activities; the shop defines the
levels and each level's benefits. Each gain is a keyed event (UNIQUE shop+ref), so a replayed check-in
or grab never counts twice; the account row holds the running total. Card members also earn the
loyalty programme's check-in points through the points ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.audit.services import Actor, record
from siyu.db import utcnow
from siyu.groups import domain
from siyu.groups.errors import AlreadyTaken
from siyu.groups.models import GroupCheckin, GrowthAccount, GrowthEvent, GrowthLevelRow
from siyu.groups.services import active_membership, get_group
from siyu.loyalty import services as loyalty
from siyu.shops.services import shop_zone

ACTIVITY_GROWTH = 5
"""Growth value for taking part in a group activity (a grab, a purchase, a claim, a guess)."""

DEFAULT_LEVELS = (
    domain.GrowthLevel("新人", 0, "入群欢迎券"),
    domain.GrowthLevel("活跃成员", 100, "每月专属优惠券"),
    domain.GrowthLevel("铁杆粉丝", 500, "新品优先试用"),
    domain.GrowthLevel("超级粉丝", 2000, "生日礼包、专属客服"),
)


def add_growth(
    session: Session,
    *,
    shop_id: int,
    customer_id: int,
    group_id: int | None,
    ref: str,
    source: str,
    amount: int,
    now: datetime | None = None,
) -> bool:
    """Add ``amount`` growth once per ``ref``; False when that ref was already counted."""
    if amount <= 0:
        return False
    now = now or utcnow()
    event = GrowthEvent(
        shop_id=shop_id, customer_id=customer_id, group_id=group_id, ref=ref[:80], source=source, amount=amount, at=now
    )
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:
        return False
    grown = session.execute(
        update(GrowthAccount)
        .where(GrowthAccount.shop_id == shop_id, GrowthAccount.customer_id == customer_id)
        .values(growth=GrowthAccount.growth + amount, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not grown:
        account = GrowthAccount(shop_id=shop_id, customer_id=customer_id, growth=amount, updated_at=now)
        try:
            with session.begin_nested():
                session.add(account)
                session.flush()
        except IntegrityError:  # created by a concurrent gain: add to it
            session.execute(
                update(GrowthAccount)
                .where(GrowthAccount.shop_id == shop_id, GrowthAccount.customer_id == customer_id)
                .values(growth=GrowthAccount.growth + amount, updated_at=now)
                .execution_options(synchronize_session=False)
            )
    return True


def for_taking_part(
    session: Session, *, shop_id: int, customer_id: int, group_id: int, activity_id: int, now: datetime | None = None
) -> bool:
    """Growth for a member's first part in an activity."""
    return add_growth(
        session,
        shop_id=shop_id,
        customer_id=customer_id,
        group_id=group_id,
        ref=f"activity:{activity_id}:{customer_id}",
        source="activity",
        amount=ACTIVITY_GROWTH,
        now=now,
    )


# ---- levels --------------------------------------------------------------------------------------------
def levels_of(session: Session, shop_id: int) -> list[domain.GrowthLevel]:
    """The shop's growth levels, lowest first (the defaults until it defines its own)."""
    rows = session.scalars(
        select(GrowthLevelRow).where(GrowthLevelRow.shop_id == shop_id).order_by(GrowthLevelRow.position)
    ).all()
    if not rows:
        return list(DEFAULT_LEVELS)
    return [domain.GrowthLevel(r.name, r.min_growth, r.benefits) for r in rows]


def save_levels(session: Session, *, by: Actor, levels: Sequence[domain.GrowthLevel]) -> list[domain.GrowthLevel]:
    """Replace the shop's growth levels (1–10 levels, the first from 0, strictly increasing)."""
    checked = domain.check_levels(levels)
    before = [(lv.name, lv.min_growth) for lv in levels_of(session, by.shop_id)]
    session.query(GrowthLevelRow).filter(GrowthLevelRow.shop_id == by.shop_id).delete()
    session.add_all(
        GrowthLevelRow(shop_id=by.shop_id, position=n, name=lv.name, min_growth=lv.min_growth, benefits=lv.benefits)
        for n, lv in enumerate(checked, start=1)
    )
    session.flush()
    record(
        session,
        by,
        "group.levels",
        "shop",
        by.shop_id,
        before={"levels": before},
        after={"levels": [(lv.name, lv.min_growth) for lv in checked]},
    )
    return checked


@dataclass(frozen=True, slots=True)
class Standing:
    growth: int
    level: domain.GrowthLevel
    next_level: domain.GrowthLevel | None


def standing_of(session: Session, *, shop_id: int, customer_id: int) -> Standing:
    """A buyer's growth value, level and the next level."""
    growth = session.scalar(
        select(GrowthAccount.growth).where(GrowthAccount.shop_id == shop_id, GrowthAccount.customer_id == customer_id)
    )
    levels = levels_of(session, shop_id)
    total = int(growth or 0)
    level = domain.level_of(total, levels)
    higher = [lv for lv in levels if lv.min_growth > total]
    return Standing(total, level, higher[0] if higher else None)


# ---- check-in ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CheckinResult:
    day: date
    streak: int
    points: int
    growth: int


def _today(session: Session, shop_id: int, now: datetime) -> date:
    return now.astimezone(shop_zone(session, shop_id)).date()


def checked_in(session: Session, *, group_id: int, customer_id: int, day: date) -> GroupCheckin | None:
    return session.scalar(
        select(GroupCheckin).where(
            GroupCheckin.group_id == group_id, GroupCheckin.customer_id == customer_id, GroupCheckin.day == day
        )
    )


def check_in(
    session: Session, *, by: Actor, group_id: int, customer_id: int, now: datetime | None = None
) -> CheckinResult:
    """A member's daily check-in in a group: streak (yesterday +1, else 1), growth value and, for card
    members, the programme's check-in points. Once a shop-local day."""
    now = now or utcnow()
    group = get_group(session, shop_id=by.shop_id, group_id=group_id)
    membership = active_membership(session, group.id, customer_id)
    today = _today(session, by.shop_id, now)
    last = session.scalar(
        select(GroupCheckin)
        .where(GroupCheckin.group_id == group.id, GroupCheckin.customer_id == customer_id)
        .order_by(GroupCheckin.day.desc())
        .limit(1)
    )
    if last is not None and last.day == today:
        raise AlreadyTaken("今天已经签到过了", "you already checked in today", code="group_checked_in")
    streak = domain.next_streak(last.day if last else None, today, last.streak if last else 0)
    points, growth = domain.checkin_reward(streak)
    row = GroupCheckin(
        shop_id=by.shop_id, group_id=group.id, customer_id=customer_id, day=today, streak=streak, growth=growth, at=now
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise AlreadyTaken("今天已经签到过了", "you already checked in today", code="group_checked_in") from None
    member = loyalty.member_of_customer(session, shop_id=by.shop_id, customer_id=customer_id)
    earned = 0
    if member is not None and member.status == "active" and points:
        result = loyalty.earn_interaction(session, by=by, member_id=member.id, kind="checkin", now=now)
        earned = 0 if result.replayed else result.points
    row.points = earned
    add_growth(
        session,
        shop_id=by.shop_id,
        customer_id=customer_id,
        group_id=group.id,
        ref=f"checkin:{group.id}:{customer_id}:{today.isoformat()}",
        source="checkin",
        amount=growth,
        now=now,
    )
    membership.last_active_at = now
    session.flush()
    return CheckinResult(today, streak, earned, growth)


def checkin_calendar(session: Session, *, group_id: int, customer_id: int, today: date, days: int = 7) -> list[bool]:
    """Whether the member checked in on each of the last ``days`` days, oldest first."""
    since = today - timedelta(days=days - 1)
    done = set(
        session.scalars(
            select(GroupCheckin.day).where(
                GroupCheckin.group_id == group_id, GroupCheckin.customer_id == customer_id, GroupCheckin.day >= since
            )
        )
    )
    return [since + timedelta(days=n) in done for n in range(days)]
