"""Read side of membership: the member list, a member's card, and member analytics (SPEC §5, §12).

Reports are set-based queries that SQLite and PostgreSQL answer alike; months are the shop's local
calendar months.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from siyu.analytics.sql import local_date
from siyu.core.errors import NotFound
from siyu.core.paging import Page, PageRequest
from siyu.customers.models import Customer, Order
from siyu.db import utcnow
from siyu.loyalty.models import Member, MemberTier, PointsEntry
from siyu.shops.models import Shop


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: int
    member_no: str
    customer_id: int
    account: str
    name: str
    phone_masked: str
    tier_level: int
    tier_name: str
    points_balance: int
    points_debt: int
    growth_value: int
    status: str
    source: str
    joined_at: datetime


def _rows() -> Any:
    """Members with what a list shows of them: account, name, masked phone, tier name."""
    return (
        select(Member, Customer.account, Customer.name, Customer.phone_masked, MemberTier.name)
        .join(Customer, Customer.id == Member.customer_id)
        .outerjoin(MemberTier, and_(MemberTier.shop_id == Member.shop_id, MemberTier.level == Member.tier_level))
    )


def _row(m: Member, account: str, name: str, masked: str, tier_name: str | None) -> MemberRow:
    return MemberRow(
        m.id,
        m.member_no,
        m.customer_id,
        account,
        name,
        masked,
        m.tier_level,
        tier_name or "",
        m.points_balance,
        m.points_debt,
        m.growth_value,
        m.status,
        m.source,
        m.joined_at,
    )


def member_labels(session: Session, *, shop_id: int, member_ids: set[int]) -> dict[int, tuple[str, str, str]]:
    """Member id → (member no., JD account, name), for lists that name who did something."""
    if not member_ids:
        return {}
    rows = session.execute(
        select(Member.id, Member.member_no, Customer.account, Customer.name)
        .join(Customer, Customer.id == Member.customer_id)
        .where(Member.shop_id == shop_id, Member.id.in_(member_ids))
    )
    return {mid: (no, account, name) for mid, no, account, name in rows}


def list_members(
    session: Session, *, shop_id: int, page: PageRequest, q: str = "", tier: int | None = None, status: str = "active"
) -> Page[MemberRow]:
    """Members, newest first; ``q`` finds a member number, JD account, name or the last 4 phone digits."""
    query = _rows().where(Member.shop_id == shop_id)
    if status:
        query = query.where(Member.status == status)
    if tier is not None:
        query = query.where(Member.tier_level == tier)
    q = q.strip()
    if q:
        like = f"%{q}%"
        conditions = [Member.member_no == q, Customer.account.like(like), Customer.name.like(like)]
        if q.isdigit() and len(q) == 4:
            conditions.append(Customer.phone_tail == q)
        query = query.where(or_(*conditions))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(Member.joined_at.desc(), Member.id.desc()).limit(page.size).offset(page.offset)
    ).all()
    items = [_row(*found) for found in rows]
    return Page(items, int(total), page)


def member_row(session: Session, *, shop_id: int, member_id: int) -> MemberRow:
    """One member as a list row (any status); NotFound outside the shop."""
    found = session.execute(_rows().where(Member.shop_id == shop_id, Member.id == member_id)).first()
    if found is None:
        raise NotFound("会员", "member")
    return _row(*found)


@dataclass(frozen=True, slots=True)
class MonthPoint:
    month: str  # YYYY-MM, shop time
    new_members: int = 0
    returning_members: int = 0  # joined before the month and bought in it
    points_issued: int = 0
    points_spent: int = 0
    points_expired: int = 0
    points_reversed: int = 0


@dataclass(frozen=True, slots=True)
class Cohort:
    """Buyers of the window who are members, or not: how often they come back and what they spend."""

    buyers: int
    repeat_buyers: int
    orders: int
    gmv_fen: int

    @property
    def repurchase_rate(self) -> float:
        return self.repeat_buyers / self.buyers if self.buyers else 0.0

    @property
    def aov_fen(self) -> int:
        return self.gmv_fen // self.orders if self.orders else 0


@dataclass(frozen=True, slots=True)
class MemberAnalytics:
    members: int
    shop_members: int  # bought at least once (店铺会员)
    fans: int  # follow the shop
    new_members_30d: int
    points_outstanding: int
    points_debt: int
    window_days: int
    member: Cohort
    non_member: Cohort
    tiers: list[tuple[int, str, int]] = field(default_factory=list)  # level, name, members
    months: list[MonthPoint] = field(default_factory=list)

    @property
    def repurchase_ratio(self) -> float | None:
        """Members' repurchase rate over non-members' (the seed's case: about 4×)."""
        base = self.non_member.repurchase_rate
        return self.member.repurchase_rate / base if base else None

    @property
    def aov_uplift(self) -> float | None:
        """How much more members spend per order than non-members (the seed's case: about +20%)."""
        base = self.non_member.aov_fen
        return self.member.aov_fen / base - 1 if base else None


def _offset_minutes(session: Session, shop_id: int, now: datetime) -> int:
    shop = session.get_one(Shop, shop_id)
    zone = ZoneInfo(shop.timezone or "Asia/Shanghai")
    return int((now.astimezone(zone).utcoffset() or timedelta()).total_seconds() // 60)


def _month(column: Any, offset: int, dialect: str) -> Any:
    return func.substr(cast(local_date(column, offset, dialect), String), 1, 7)


def _months(now: datetime, count: int, offset: int) -> list[str]:
    local = now + timedelta(minutes=offset)
    year, month = local.year, local.month
    out: list[str] = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def member_analytics(
    session: Session, *, shop_id: int, window_days: int = 365, months: int = 12, now: datetime | None = None
) -> MemberAnalytics:
    """Members, shop members and fans; member vs non-member repurchase and AOV; months of joins and points."""
    now = now or utcnow()
    dialect = session.get_bind().dialect.name
    offset = _offset_minutes(session, shop_id, now)
    active = and_(Member.shop_id == shop_id, Member.status == "active")
    members = session.scalar(select(func.count()).select_from(Member).where(active)) or 0
    new_30 = session.scalar(
        select(func.count()).select_from(Member).where(active, Member.joined_at >= now - timedelta(days=30))
    )
    outstanding, debt = session.execute(
        select(func.coalesce(func.sum(Member.points_balance), 0), func.coalesce(func.sum(Member.points_debt), 0)).where(
            Member.shop_id == shop_id
        )
    ).one()
    fans = session.scalar(
        select(func.count()).select_from(Customer).where(Customer.shop_id == shop_id, Customer.follows_shop.is_(True))
    )
    shop_members = session.scalar(
        select(func.count(func.distinct(Order.customer_id))).where(Order.shop_id == shop_id, Order.is_paid.is_(True))
    )
    since = now - timedelta(days=window_days)
    per_buyer = (
        select(
            Order.customer_id.label("customer_id"),
            func.count().label("orders"),
            func.sum(Order.paid_fen).label("gmv"),
        )
        .where(Order.shop_id == shop_id, Order.is_paid.is_(True), Order.ordered_at >= since)
        .group_by(Order.customer_id)
        .subquery()
    )
    is_member = case((Member.id.is_not(None), 1), else_=0).label("is_member")
    cohorts = session.execute(
        select(
            is_member,
            func.count(),
            func.sum(case((per_buyer.c.orders >= 2, 1), else_=0)),
            func.sum(per_buyer.c.orders),
            func.sum(per_buyer.c.gmv),
        )
        .select_from(per_buyer)
        .outerjoin(
            Member,
            and_(Member.customer_id == per_buyer.c.customer_id, Member.shop_id == shop_id, Member.status == "active"),
        )
        .group_by(is_member)
    ).all()
    found = {int(flag): Cohort(int(b or 0), int(r or 0), int(o or 0), int(g or 0)) for flag, b, r, o, g in cohorts}
    empty = Cohort(0, 0, 0, 0)
    tiers = [
        (level, name, int(count))
        for level, name, count in session.execute(
            select(MemberTier.level, MemberTier.name, func.count(Member.id))
            .outerjoin(
                Member,
                and_(
                    Member.shop_id == MemberTier.shop_id,
                    Member.tier_level == MemberTier.level,
                    Member.status == "active",
                ),
            )
            .where(MemberTier.shop_id == shop_id)
            .group_by(MemberTier.level, MemberTier.name)
            .order_by(MemberTier.level)
        ).all()
    ]
    labels = _months(now, months, offset)
    first = labels[0]
    joined: dict[str, int] = dict(
        session.execute(
            select(_month(Member.joined_at, offset, dialect).label("m"), func.count())
            .where(Member.shop_id == shop_id)
            .group_by("m")
        ).all()
    )
    order_month = _month(Order.ordered_at, offset, dialect).label("m")
    returning: dict[str, int] = dict(
        session.execute(
            select(order_month, func.count(func.distinct(Order.customer_id)))
            .join(Member, and_(Member.customer_id == Order.customer_id, Member.shop_id == Order.shop_id))
            .where(
                Order.shop_id == shop_id,
                Order.is_paid.is_(True),
                Order.ordered_at >= now - timedelta(days=31 * months + 31),
                _month(Member.joined_at, offset, dialect) < order_month,
            )
            .group_by(order_month)
        ).all()
    )
    entry_month = _month(PointsEntry.at, offset, dialect).label("m")
    flows: dict[str, dict[str, int]] = {}
    for month, kind, points in session.execute(
        select(entry_month, PointsEntry.kind, func.sum(PointsEntry.points))
        .where(PointsEntry.shop_id == shop_id, PointsEntry.at >= now - timedelta(days=31 * months + 31))
        .group_by(entry_month, PointsEntry.kind)
    ):
        flows.setdefault(month, {})[kind] = int(points or 0)
    points_by_month = [
        MonthPoint(
            m,
            new_members=int(joined.get(m, 0)),
            returning_members=int(returning.get(m, 0)),
            points_issued=flows.get(m, {}).get("earn", 0),
            points_spent=-flows.get(m, {}).get("spend", 0),
            points_expired=-flows.get(m, {}).get("expire", 0),
            points_reversed=-flows.get(m, {}).get("reverse", 0) - flows.get(m, {}).get("repay", 0),
        )
        for m in labels
        if m >= first
    ]
    return MemberAnalytics(
        members=int(members),
        shop_members=int(shop_members or 0),
        fans=int(fans or 0),
        new_members_30d=int(new_30 or 0),
        points_outstanding=int(outstanding or 0),
        points_debt=int(debt or 0),
        window_days=window_days,
        member=found.get(1, empty),
        non_member=found.get(0, empty),
        tiers=tiers,
        months=points_by_month,
    )
