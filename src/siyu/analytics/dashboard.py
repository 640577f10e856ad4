"""The shop dashboard (SPEC §12): headline figures, GMV trend by day/week, orders by channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from siyu.analytics.sql import local_date
from siyu.customers.models import Customer, Order
from siyu.db import utcnow
from siyu.shops.models import Shop

PERIODS = (7, 30, 90, 180, 365)


@dataclass(frozen=True, slots=True)
class TrendPoint:
    label: str  # a date, or the Monday of an ISO week
    orders: int
    gmv_fen: int


@dataclass(frozen=True, slots=True)
class ChannelShare:
    channel: str
    orders: int
    gmv_fen: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    customers: int
    members: int
    fans: int
    buyers: int
    paid_orders: int
    gmv_fen: int
    aov_fen: int
    period_days: int
    grain: str
    period_orders: int
    period_gmv_fen: int
    trend: list[TrendPoint] = field(default_factory=list)
    channels: list[ChannelShare] = field(default_factory=list)


def build_dashboard(
    session: Session, *, shop_id: int, days: int = 90, grain: str = "day", now: datetime | None = None
) -> Dashboard:
    if days not in PERIODS:
        days = 90
    grain = grain if grain in ("day", "week") else "day"
    now = now or utcnow()
    shop = session.get_one(Shop, shop_id)
    zone = ZoneInfo(shop.timezone)
    offset = int((now.astimezone(zone).utcoffset() or timedelta()).total_seconds() // 60)
    dialect = session.get_bind().dialect.name

    c = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(cast(Customer.is_member, Integer)), 0),
            func.coalesce(func.sum(cast(Customer.follows_shop, Integer)), 0),
        ).where(Customer.shop_id == shop_id)
    ).one()
    paid = (Order.shop_id == shop_id) & Order.is_paid.is_(True)
    o = session.execute(
        select(
            func.count(), func.coalesce(func.sum(Order.paid_fen), 0), func.count(func.distinct(Order.customer_id))
        ).where(paid)
    ).one()
    paid_orders, gmv, buyers = int(o[0]), int(o[1]), int(o[2])

    today_local = now.astimezone(zone).date()
    start_local = today_local - timedelta(days=days - 1)
    start_utc = datetime.combine(start_local, datetime.min.time(), zone).astimezone(ZoneInfo("UTC"))
    day = local_date(Order.ordered_at, offset, dialect).label("day")
    daily = {
        _as_date(d): (int(n), int(fen))
        for d, n, fen in session.execute(
            select(day, func.count(), func.coalesce(func.sum(Order.paid_fen), 0))
            .where(paid, Order.ordered_at >= start_utc)
            .group_by(day)
        )
    }
    trend = _fold(daily, start_local, today_local, grain)
    channels = [
        ChannelShare(ch or "—", int(n), int(fen))
        for ch, n, fen in session.execute(
            select(Order.channel, func.count(), func.coalesce(func.sum(Order.paid_fen), 0))
            .where(paid, Order.ordered_at >= start_utc)
            .group_by(Order.channel)
            .order_by(func.count().desc())
        )
    ]
    return Dashboard(
        customers=int(c[0]),
        members=int(c[1]),
        fans=int(c[2]),
        buyers=buyers,
        paid_orders=paid_orders,
        gmv_fen=gmv,
        aov_fen=gmv // paid_orders if paid_orders else 0,
        period_days=days,
        grain=grain,
        period_orders=sum(p.orders for p in trend),
        period_gmv_fen=sum(p.gmv_fen for p in trend),
        trend=trend,
        channels=channels,
    )


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _fold(daily: dict[date, tuple[int, int]], start: date, end: date, grain: str) -> list[TrendPoint]:
    points: dict[date, list[int]] = {}
    current = start
    while current <= end:
        key = current - timedelta(days=current.weekday()) if grain == "week" else current
        n, fen = daily.get(current, (0, 0))
        bucket = points.setdefault(key, [0, 0])
        bucket[0] += n
        bucket[1] += fen
        current += timedelta(days=1)
    return [TrendPoint(k.isoformat(), v[0], v[1]) for k, v in points.items()]
