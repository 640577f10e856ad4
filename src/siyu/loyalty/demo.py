"""Demo membership for `siyu demo`: the programme, coupons for members and the mall, member rows for the
demo's card members, and (for demo-sized shops) their points history earned through the real services.

The points are earned at the time each order was placed, so the demo shop shows a believable ledger:
join gifts, order points, check-ins, redemptions, and points that already expired.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor
from siyu.customers.models import Customer, Order
from siyu.db import DriverSQL, transaction, utcnow
from siyu.loyalty import services
from siyu.loyalty.domain import DEFAULT_TIERS, ProgramSettings
from siyu.loyalty.errors import InsufficientPoints, ItemUnavailable, LimitReached, OutOfStock
from siyu.loyalty.models import Member
from siyu.promotions import services as promotions
from siyu.promotions.schemas import CouponTemplateSpec

# Above this many card members the demo creates the member rows only (no per-order points history):
# earning goes through the services one order at a time, right for a demo shop, too slow for 200k.
POINTS_HISTORY_MEMBERS = 3_000
CONSENT_TEXT = "演示数据：客户开卡时已同意《会员协议》与《隐私政策》 (demo data: consent given when joining)"


@dataclass
class DemoMembership:
    members: int = 0
    orders_awarded: int = 0
    points_expired: int = 0
    coupon_templates: int = 0
    mall_items: int = 0


def _templates(session: Session, by: Actor, now: datetime) -> tuple[int, int]:
    """Two templates: 满199减30 for members (join gift), 无门槛5元 for the points mall."""
    start, end = now - timedelta(days=3_700), now + timedelta(days=365)
    existing = {t.name: t.id for t in promotions.list_templates(session, shop_id=by.shop_id)}
    made = []
    for spec in (
        CouponTemplateSpec(
            name="会员专享 满199减30",
            kind="full_reduction",
            threshold_fen=19_900,
            reduction_fen=3_000,
            claim_start=start,
            claim_end=end,
            use_days=30,
            total_stock=100_000,
            per_customer_limit=3,
            channel="member",
        ),
        CouponTemplateSpec(
            name="积分兑换 无门槛5元",
            kind="no_threshold",
            reduction_fen=500,
            claim_start=start,
            claim_end=end,
            use_days=15,
            total_stock=20_000,
            per_customer_limit=5,
            channel="any",
        ),
    ):
        if spec.name in existing:
            made.append(existing[spec.name])
        else:
            made.append(promotions.create_template(session, by=by, spec=spec).id)
    return made[0], made[1]


def seed_demo_membership(
    factory: sessionmaker[Session], *, shop_id: int, seed: int = 7, now: datetime | None = None
) -> DemoMembership:
    """Give the demo shop a member programme and members (idempotent: a second run adds only what is new)."""
    now = now or utcnow()
    rng = random.Random(seed)
    by = Actor(shop_id, "system", None, "demo")
    tally = DemoMembership()
    with transaction(factory, write=True) as session:
        join_coupon, mall_coupon = _templates(session, by, now)
        tally.coupon_templates = 2
        settings = ProgramSettings(
            member_day=18, join_gift_points=100, join_gift_coupon_template_id=join_coupon, birthday_gift_points=200
        )
        services.save_program(session, by=by, settings=settings)
        if not services.list_tiers(session, shop_id=shop_id):
            ladder = zip(DEFAULT_TIERS, (0, 100, 300, 800), strict=True)
            services.save_tiers(
                session,
                by=by,
                tiers=[
                    services.TierSpec(name, threshold, pct, privileges, gift)
                    for (name, _en, threshold, pct, privileges), gift in ladder
                ],
            )
        if not services.list_mall_items(session, shop_id=shop_id):
            for spec in (
                services.MallItemSpec(
                    "无门槛 5 元券", "coupon", 500, 5_000, 5, "兑换后 15 天内有效", coupon_template_id=mall_coupon
                ),
                services.MallItemSpec("品牌帆布袋", "gift", 1_200, 300, 1, "实物礼品，下次订单随单寄出"),
                services.MallItemSpec(
                    "新品试用装抽奖", "lottery", 50, 10_000, 10, "每次 50 积分，中奖率 10%", win_rate_pct=10
                ),
                services.MallItemSpec("金卡专享 保温杯", "gift", 3_000, 100, 1, "金卡及以上会员可兑", min_tier_level=3),
            ):
                services.create_mall_item(session, by=by, spec=spec)
                tally.mall_items += 1
    with transaction(factory) as session:
        joined = set(session.scalars(select(Member.customer_id).where(Member.shop_id == shop_id)))
        card_members = [
            (cid, since)
            for cid, since in session.execute(
                select(Customer.id, Customer.member_since)
                .where(Customer.shop_id == shop_id, Customer.is_member.is_(True))
                .order_by(Customer.id)
            )
            if cid not in joined
        ]
    if len(card_members) > POINTS_HISTORY_MEMBERS:
        with transaction(factory, write=True) as session:
            tally.members = _bulk_members(session, shop_id, now)
        return tally
    for start in range(0, len(card_members), 2_000):
        with transaction(factory, write=True) as session:
            for customer_id, since in card_members[start : start + 2_000]:
                joined_at = since or now
                services.join_member(
                    session,
                    by=by,
                    customer_id=customer_id,
                    now=joined_at,
                    consent=services.Consent("import", CONSENT_TEXT, "demo"),
                )
                tally.members += 1
    with transaction(factory) as session:
        orders = session.execute(
            select(Order.id, Order.ordered_at, Member.id)
            .join(Member, Member.customer_id == Order.customer_id)
            .where(Order.shop_id == shop_id, Order.is_paid.is_(True), Order.ordered_at >= Member.joined_at)
            .order_by(Order.ordered_at, Order.id)
        ).all()
    for start in range(0, len(orders), 1_000):
        with transaction(factory, write=True) as session:
            for order_id, ordered_at, member_id in orders[start : start + 1_000]:
                result = services.earn_for_order(session, by=by, order_id=order_id, now=ordered_at)
                tally.orders_awarded += int(result.entry is not None and not result.replayed)
                if rng.random() < 0.3:  # some members check in around the time they shop
                    moment = ordered_at - timedelta(hours=rng.randint(1, 72))
                    with contextlib.suppress(LimitReached), session.begin_nested():
                        services.earn_interaction(session, by=by, member_id=member_id, kind="checkin", now=moment)
    with transaction(factory, write=True) as session:
        members = list(session.scalars(select(Member.id).where(Member.shop_id == shop_id, Member.status == "active")))
        items = services.list_mall_items(session, shop_id=shop_id)
        for member_id in rng.sample(members, k=min(len(members), 60)):
            item = rng.choice(items[:3])
            with (
                contextlib.suppress(InsufficientPoints, LimitReached, OutOfStock, ItemUnavailable),
                session.begin_nested(),
            ):
                services.redeem(
                    session,
                    by=by,
                    member_id=member_id,
                    item_id=item.id,
                    idempotency_key=f"demo:{member_id}:{item.id}",
                    now=now - timedelta(days=rng.randint(1, 60)),
                )
        tally.points_expired = services.expire_points(session, by=by, now=now)
        services.review_tiers(session, by=by, now=now)
    return tally


def _bulk_members(session: Session, shop_id: int, now: datetime) -> int:
    """Member rows for every card member of a big demo shop in two set-based statements (no points)."""
    sql = DriverSQL(session)
    ph = sql.ph
    joined = "COALESCE(c.member_since, c.created_at)"
    inserted = sql.execute(
        "INSERT INTO members (shop_id, customer_id, member_no, status, source, joined_at, consent_at, consent_source,"
        " consent_text, consent_evidence, tier_level, growth_value, points_balance, points_debt)"
        f" SELECT c.shop_id, c.id, '', 'active', 'import', {joined}, {joined}, 'import', {ph}, 'demo', 1, 0, 0, 0"
        f" FROM customers c WHERE c.shop_id = {ph} AND c.is_member = {ph}"
        " AND NOT EXISTS (SELECT 1 FROM members m WHERE m.customer_id = c.id)",
        (CONSENT_TEXT, shop_id, True),
    )
    number = (
        "printf('M%04d%08d', shop_id, id)"
        if sql.dialect == "sqlite"
        else "'M' || lpad(shop_id::text, 4, '0') || lpad(id::text, 8, '0')"
    )
    sql.execute(f"UPDATE members SET member_no = {number} WHERE shop_id = {ph} AND member_no = ''", (shop_id,))
    return inserted
