"""Group activities (SPEC §8): flash sales, red-packet rain, group coupons and guess the price, at most
three at the same time in one group, and what members do with them.

Concurrency: creating an activity locks the group row, so two creations in the same group count each
other; a flash-sale unit is taken with one conditional UPDATE (``sold < stock``) and one order row per
member and SKU (UNIQUE); red packets are split when a round opens and each is taken by one UPDATE of a
still-free packet (UNIQUE activity+round+customer: one per member per round), so the sum paid is at most
the budget whatever the number of concurrent grabs.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.audit.services import Actor, record
from siyu.core.errors import InvalidInput, NotFound
from siyu.db import shop_row, utcnow
from siyu.groups import domain, growth
from siyu.groups.errors import (
    ActivityLimit,
    ActivityNotRunning,
    AlreadyTaken,
    NoPacketLeft,
    NotGroupAdmin,
    SoldOut,
)
from siyu.groups.models import (
    ActivityEntry,
    FlashSaleItem,
    FlashSaleOrder,
    GroupActivity,
    PriceFloor,
    RedPacket,
)
from siyu.groups.services import active_membership, get_group, may_manage
from siyu.loyalty import services as loyalty
from siyu.promotions import services as promotions
from siyu.promotions.models import CouponTemplate
from siyu.shops.services import shop_zone

KINDS = {
    "flash_sale": ("限时抢购", "Flash sale"),
    "red_packet": ("红包雨", "Red-packet rain"),
    "coupon": ("群优惠券", "Group coupon"),
    "guess": ("猜价格", "Guess the price"),
}
ROUNDS_AT_MOST = 20
DEFAULT_MIN_DISCOUNT_PCT = 50


@dataclass(frozen=True, slots=True)
class FlashItemSpec:
    sku: str
    name: str
    list_price_fen: int
    price_fen: int
    stock: int
    category: str = ""


@dataclass(frozen=True, slots=True)
class ActivitySpec:
    """An activity as the merchant enters it; times are aware datetimes (UTC or any zone)."""

    kind: str
    name: str
    starts_at: datetime
    ends_at: datetime
    items: Sequence[FlashItemSpec] = ()  # flash sale
    budget_fen: int = 0  # red-packet rain: per round
    packets: int = 0  # red-packet rain: per round
    rounds: int = 1  # red-packet rain: rounds planned
    coupon_template_id: int | None = None  # group coupon
    guess_sku: str = ""  # guess the price
    guess_name: str = ""
    guess_price_fen: int = 0
    guess_tolerance_pct: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# ---- price floors --------------------------------------------------------------------------------------
def price_floors(session: Session, shop_id: int) -> tuple[int, dict[str, int]]:
    """The shop's minimum discount (percent of list price) and its per-category overrides."""
    rows = session.scalars(select(PriceFloor).where(PriceFloor.shop_id == shop_id))
    shop_pct, categories = DEFAULT_MIN_DISCOUNT_PCT, {}
    for row in rows:
        if row.category:
            categories[row.category] = row.min_discount_pct
        else:
            shop_pct = row.min_discount_pct
    return shop_pct, categories


def set_price_floor(session: Session, *, by: Actor, category: str, min_discount_pct: int) -> PriceFloor:
    """The lowest group price the merchant allows for the shop (category "") or one category."""
    if not 1 <= min_discount_pct <= 100:
        raise InvalidInput("最低折扣须在 1%–100% 之间", "the minimum discount must be 1% to 100%", code="group_floor")
    category = category.strip()[:100]
    row = session.scalar(select(PriceFloor).where(PriceFloor.shop_id == by.shop_id, PriceFloor.category == category))
    before = row.min_discount_pct if row is not None else None
    if row is None:
        row = PriceFloor(shop_id=by.shop_id, category=category, min_discount_pct=min_discount_pct)
        session.add(row)
    row.min_discount_pct = min_discount_pct
    session.flush()
    record(
        session,
        by,
        "group.price_floor",
        "price_floor",
        row.id,
        before={"pct": before},
        after={"category": category, "pct": min_discount_pct},
    )
    return row


# ---- creating activities -------------------------------------------------------------------------------
def _check_common(spec: ActivitySpec) -> None:
    if spec.kind not in KINDS:
        raise InvalidInput(
            f"未知的活动类型「{spec.kind}」", f"unknown activity kind '{spec.kind}'", code="group_activity_kind"
        )
    if not spec.name.strip() or len(spec.name) > 60:
        raise InvalidInput(
            "活动名称必填，最多 60 个字",
            "an activity needs a name of at most 60 characters",
            code="group_activity_name",
        )
    if spec.starts_at.tzinfo is None or spec.ends_at.tzinfo is None:
        raise InvalidInput("活动时间缺少时区", "activity times need a time zone", code="group_activity_time")
    if spec.ends_at <= spec.starts_at:
        raise InvalidInput(
            "活动结束时间必须晚于开始时间", "the activity must end after it starts", code="group_activity_time"
        )


def _check_kind(session: Session, shop_id: int, spec: ActivitySpec) -> CouponTemplate | None:
    if spec.kind == "flash_sale":
        shop_pct, categories = price_floors(session, shop_id)
        domain.check_flash_sale(
            spec.starts_at,
            spec.ends_at,
            [domain.FlashItem(i.sku, i.list_price_fen, i.price_fen, i.stock, i.category) for i in spec.items],
            shop_min_discount_pct=shop_pct,
            category_min_discount_pct=categories,
        )
    elif spec.kind == "red_packet":
        domain.split_red_packets(spec.budget_fen, spec.packets, random.Random(0))  # the same refusals
        if not 1 <= spec.rounds <= ROUNDS_AT_MOST:
            raise InvalidInput(
                f"红包雨最多 {ROUNDS_AT_MOST} 轮",
                f"a red-packet rain has 1 to {ROUNDS_AT_MOST} rounds",
                code="group_red_packet_rounds",
            )
    elif spec.kind == "coupon":
        template = (
            shop_row(session, CouponTemplate, spec.coupon_template_id, shop_id)
            if spec.coupon_template_id is not None
            else None
        )
        if template is None:
            raise NotFound("优惠券", "coupon template")
        if template.status != "active":
            raise InvalidInput("该优惠券已停用", "the coupon template is stopped", code="group_coupon_stopped")
        zone = shop_zone(session, shop_id)  # the refusal shows both windows in shop time
        domain.check_coupon_window(
            spec.starts_at.astimezone(zone),
            spec.ends_at.astimezone(zone),
            template.claim_start.astimezone(zone),
            template.claim_end.astimezone(zone) if template.claim_end is not None else None,
        )
        return template
    elif spec.kind == "guess":
        if not spec.guess_name.strip() or spec.guess_price_fen < 1:
            raise InvalidInput(
                "猜价格需要商品名称和正确价格", "guess the price needs a product and its price", code="group_guess"
            )
        if not 0 <= spec.guess_tolerance_pct <= 50:
            raise InvalidInput("猜中误差须在 0–50% 之间", "the tolerance must be 0–50%", code="group_guess")
    return None


def create_activity(session: Session, *, by: Actor, group_id: int, spec: ActivitySpec) -> GroupActivity:
    """An activity in a group, refused when three already run at any moment of its window (SPEC §8)."""
    _check_common(spec)
    group = get_group(session, shop_id=by.shop_id, group_id=group_id, lock=True)  # counts serialise per group
    if not may_manage(session, by, None):
        raise NotGroupAdmin()
    _check_kind(session, by.shop_id, spec)
    others = session.execute(
        select(GroupActivity.starts_at, GroupActivity.ends_at).where(
            GroupActivity.group_id == group.id,
            GroupActivity.status == "active",
            GroupActivity.starts_at < spec.ends_at,
            GroupActivity.ends_at > spec.starts_at,
        )
    ).all()
    if _most_at_once(spec.starts_at, spec.ends_at, [(s, e) for s, e in others]) >= domain.ACTIVITIES_AT_ONCE:
        raise ActivityLimit(domain.ACTIVITIES_AT_ONCE)
    activity = GroupActivity(
        shop_id=by.shop_id,
        group_id=group.id,
        kind=spec.kind,
        name=spec.name.strip(),
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        coupon_template_id=spec.coupon_template_id if spec.kind == "coupon" else None,
        budget_fen=spec.budget_fen if spec.kind == "red_packet" else 0,
        packets=spec.packets if spec.kind == "red_packet" else 0,
        config=_config(spec),
        created_by=by.label,
    )
    session.add(activity)
    session.flush()
    if spec.kind == "flash_sale":
        session.add_all(
            FlashSaleItem(
                shop_id=by.shop_id,
                activity_id=activity.id,
                sku=i.sku.strip(),
                name=i.name.strip()[:120],
                category=i.category,
                list_price_fen=i.list_price_fen,
                price_fen=i.price_fen,
                stock=i.stock,
            )
            for i in spec.items
        )
    elif spec.kind == "red_packet":
        _open_round(session, activity, random.SystemRandom())
    session.flush()
    record(
        session,
        by,
        "group.activity.create",
        "group_activity",
        activity.id,
        after={
            "kind": spec.kind,
            "name": activity.name,
            "starts_at": spec.starts_at.isoformat(),
            "ends_at": spec.ends_at.isoformat(),
        },
    )
    return activity


def _config(spec: ActivitySpec) -> dict[str, Any]:
    if spec.kind == "red_packet":
        return {"rounds_planned": spec.rounds}
    if spec.kind == "guess":
        return {
            "sku": spec.guess_sku.strip(),
            "name": spec.guess_name.strip(),
            "price_fen": spec.guess_price_fen,
            "tolerance_pct": spec.guess_tolerance_pct,
        }
    return dict(spec.extra)


def _most_at_once(start: datetime, end: datetime, others: list[tuple[datetime, datetime]]) -> int:
    """The most of ``others`` running at one moment within [start, end)."""
    moments = sorted({start, *(max(s, start) for s, _ in others)})
    return max((sum(1 for s, e in others if s <= m < e) for m in moments if m < end), default=0)


def get_activity(session: Session, *, shop_id: int, activity_id: int) -> GroupActivity:
    activity = shop_row(session, GroupActivity, activity_id, shop_id)
    if activity is None:
        raise NotFound("群活动", "group activity")
    return activity


def list_activities(session: Session, *, shop_id: int, group_id: int) -> list[GroupActivity]:
    return list(
        session.scalars(
            select(GroupActivity)
            .where(GroupActivity.shop_id == shop_id, GroupActivity.group_id == group_id)
            .order_by(GroupActivity.starts_at.desc(), GroupActivity.id.desc())
        )
    )


def cancel_activity(session: Session, *, by: Actor, activity_id: int) -> GroupActivity:
    """Stop an activity (what was taken stays taken); it no longer counts towards the three."""
    activity = shop_row(session, GroupActivity, activity_id, by.shop_id, lock=True)
    if activity is None:
        raise NotFound("群活动", "group activity")
    if not may_manage(session, by, None):
        raise NotGroupAdmin()
    activity.status = "cancelled"
    record(session, by, "group.activity.cancel", "group_activity", activity.id)
    return activity


def _took_part(session: Session, activity: GroupActivity, customer_id: int, now: datetime) -> None:
    growth.for_taking_part(
        session,
        shop_id=activity.shop_id,
        customer_id=customer_id,
        group_id=activity.group_id,
        activity_id=activity.id,
        now=now,
    )


def _running(activity: GroupActivity, now: datetime) -> None:
    if activity.status != "active" or not activity.starts_at <= now < activity.ends_at:
        raise ActivityNotRunning()


def _member_activity(
    session: Session, by: Actor, activity_id: int, customer_id: int, kind: str, now: datetime
) -> GroupActivity:
    activity = get_activity(session, shop_id=by.shop_id, activity_id=activity_id)
    if activity.kind != kind:
        raise NotFound("群活动", "group activity")
    active_membership(session, activity.group_id, customer_id)
    _running(activity, now)
    return activity


# ---- flash sale ----------------------------------------------------------------------------------------
def flash_items(session: Session, activity_id: int) -> list[FlashSaleItem]:
    return list(
        session.scalars(
            select(FlashSaleItem).where(FlashSaleItem.activity_id == activity_id).order_by(FlashSaleItem.id)
        )
    )


def buy_flash_item(
    session: Session, *, by: Actor, activity_id: int, item_id: int, customer_id: int, now: datetime | None = None
) -> FlashSaleOrder:
    """One unit at the group-only price for a member while the sale runs; never more than the stock."""
    now = now or utcnow()
    activity = _member_activity(session, by, activity_id, customer_id, "flash_sale", now)
    item = shop_row(session, FlashSaleItem, item_id, by.shop_id)
    if item is None or item.activity_id != activity.id:
        raise NotFound("抢购商品", "flash-sale item")
    if session.scalar(
        select(FlashSaleOrder.id).where(FlashSaleOrder.item_id == item.id, FlashSaleOrder.customer_id == customer_id)
    ):
        raise AlreadyTaken(
            "每人限抢 1 件，你已抢到", "one per member: you already have this one", code="group_already_bought"
        )
    order = FlashSaleOrder(
        shop_id=by.shop_id,
        activity_id=activity.id,
        item_id=item.id,
        customer_id=customer_id,
        price_fen=item.price_fen,
        at=now,
    )
    try:
        with session.begin_nested():
            session.add(order)
            session.flush()
    except IntegrityError:
        raise AlreadyTaken(
            "每人限抢 1 件，你已抢到", "one per member: you already have this one", code="group_already_bought"
        ) from None
    taken = session.execute(
        update(FlashSaleItem)
        .where(FlashSaleItem.id == item.id, FlashSaleItem.sold < FlashSaleItem.stock)
        .values(sold=FlashSaleItem.sold + 1)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not taken:
        raise SoldOut()
    session.expire(item)
    _took_part(session, activity, customer_id, now)
    return order


# ---- red-packet rain -----------------------------------------------------------------------------------
def _open_round(session: Session, activity: GroupActivity, rng: random.Random) -> int:
    activity.rounds += 1
    amounts = domain.split_red_packets(activity.budget_fen, activity.packets, rng)
    session.add_all(
        RedPacket(shop_id=activity.shop_id, activity_id=activity.id, round=activity.rounds, seq=n, amount_fen=a)
        for n, a in enumerate(amounts, start=1)
    )
    session.flush()
    return activity.rounds


def open_round(session: Session, *, by: Actor, activity_id: int, now: datetime | None = None) -> int:
    """Start the next round of a red-packet rain: its budget is split into packets now."""
    now = now or utcnow()
    activity = shop_row(session, GroupActivity, activity_id, by.shop_id, lock=True)
    if activity is None or activity.kind != "red_packet":
        raise NotFound("红包雨", "red-packet rain")
    if not may_manage(session, by, None):
        raise NotGroupAdmin()
    _running(activity, now)
    planned = int((activity.config or {}).get("rounds_planned", 1))
    if activity.rounds >= planned:
        raise InvalidInput(
            f"红包雨共 {planned} 轮，已全部开始", f"all {planned} rounds have started", code="group_red_packet_rounds"
        )
    number = _open_round(session, activity, random.SystemRandom())
    record(session, by, "group.red_packet.round", "group_activity", activity.id, after={"round": number})
    return number


@dataclass(frozen=True, slots=True)
class Grab:
    round: int
    amount_fen: int
    already: bool = False


def grab_red_packet(
    session: Session, *, by: Actor, activity_id: int, customer_id: int, now: datetime | None = None
) -> Grab:
    """One packet of the current round for a member: at most one per member per round, never more than
    the packets (hence the budget) of the round."""
    now = now or utcnow()
    activity = _member_activity(session, by, activity_id, customer_id, "red_packet", now)
    current = activity.rounds
    mine = session.scalar(
        select(RedPacket.amount_fen).where(
            RedPacket.activity_id == activity.id, RedPacket.round == current, RedPacket.customer_id == customer_id
        )
    )
    if mine is not None:
        return Grab(current, int(mine), already=True)
    postgres = session.get_bind().dialect.name == "postgresql"
    for _ in range(50):
        free = (
            select(RedPacket.id)
            .where(RedPacket.activity_id == activity.id, RedPacket.round == current, RedPacket.customer_id.is_(None))
            .order_by(RedPacket.seq)
            .limit(1)
        )
        if postgres:
            free = free.with_for_update(skip_locked=True)  # grabs at once take different packets
        try:
            with session.begin_nested():
                row = session.execute(
                    update(RedPacket)
                    .where(RedPacket.id == free.scalar_subquery(), RedPacket.customer_id.is_(None))
                    .values(customer_id=customer_id, grabbed_at=now)
                    .returning(RedPacket.amount_fen)
                    .execution_options(synchronize_session=False)
                ).first()
        except IntegrityError:  # the same member grabbed in another request at this moment
            again = session.scalar(
                select(RedPacket.amount_fen).where(
                    RedPacket.activity_id == activity.id,
                    RedPacket.round == current,
                    RedPacket.customer_id == customer_id,
                )
            )
            return Grab(current, int(again or 0), already=True)
        if row is not None:
            _took_part(session, activity, customer_id, now)
            return Grab(current, int(row[0]))
        left = session.scalar(
            select(func.count())
            .select_from(RedPacket)
            .where(RedPacket.activity_id == activity.id, RedPacket.round == current, RedPacket.customer_id.is_(None))
        )
        if not left:
            break
    raise NoPacketLeft()


def red_packet_totals(session: Session, activity_id: int) -> tuple[int, int, int]:
    """(packets taken, fen paid, fen budgeted) over every round opened so far."""
    taken, paid = session.execute(
        select(
            func.count(RedPacket.customer_id),
            func.coalesce(func.sum(RedPacket.amount_fen).filter(RedPacket.customer_id.is_not(None)), 0),
        ).where(RedPacket.activity_id == activity_id)
    ).one()
    budget = session.scalar(
        select(func.coalesce(func.sum(RedPacket.amount_fen), 0)).where(RedPacket.activity_id == activity_id)
    )
    return int(taken), int(paid), int(budget or 0)


# ---- group coupon --------------------------------------------------------------------------------------
def claim_group_coupon(
    session: Session, *, by: Actor, activity_id: int, customer_id: int, now: datetime | None = None
) -> ActivityEntry:
    """The activity's coupon for a member (through the coupon engine, channel "group"), once."""
    now = now or utcnow()
    activity = _member_activity(session, by, activity_id, customer_id, "coupon", now)
    if activity.coupon_template_id is None:
        raise NotFound("优惠券", "coupon template")
    entry = session.scalar(
        select(ActivityEntry).where(ActivityEntry.activity_id == activity.id, ActivityEntry.customer_id == customer_id)
    )
    if entry is not None:
        raise AlreadyTaken("你已领取过该群优惠券", "you already claimed this group coupon", code="group_coupon_claimed")
    coupon = promotions.claim_coupon(
        session,
        by=by,
        template_id=activity.coupon_template_id,
        customer_id=customer_id,
        channel="group",
        idempotency_key=f"group-activity:{activity.id}:{customer_id}",
        now=now,
    )
    entry = ActivityEntry(
        shop_id=by.shop_id, activity_id=activity.id, customer_id=customer_id, coupon_id=coupon.id, at=now
    )
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        raise AlreadyTaken(
            "你已领取过该群优惠券", "you already claimed this group coupon", code="group_coupon_claimed"
        ) from None
    _took_part(session, activity, customer_id, now)
    return entry


# ---- guess the price -----------------------------------------------------------------------------------
def guess_price(
    session: Session, *, by: Actor, activity_id: int, customer_id: int, guess_fen: int, now: datetime | None = None
) -> ActivityEntry:
    """One guess per member; a correct one earns card members the programme's 猜价格 points (the loyalty
    ledger applies its own daily limits)."""
    now = now or utcnow()
    if not 1 <= guess_fen <= 100_000_000:
        raise InvalidInput(
            "请填写 0.01–1,000,000 元之间的价格", "guess a price between ¥0.01 and ¥1,000,000", code="group_guess_value"
        )
    activity = _member_activity(session, by, activity_id, customer_id, "guess", now)
    config = activity.config or {}
    correct = domain.guess_is_correct(guess_fen, int(config.get("price_fen", 0)), int(config.get("tolerance_pct", 0)))
    entry = ActivityEntry(
        shop_id=by.shop_id,
        activity_id=activity.id,
        customer_id=customer_id,
        guess_fen=guess_fen,
        correct=correct,
        at=now,
    )
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        raise AlreadyTaken("每人只能猜一次", "one guess per member", code="group_guessed") from None
    _took_part(session, activity, customer_id, now)
    if correct:
        member = loyalty.member_of_customer(session, shop_id=by.shop_id, customer_id=customer_id)
        if member is not None and member.status == "active":
            earned = loyalty.earn_interaction(
                session,
                by=by,
                member_id=member.id,
                kind="guess_price",
                ref=f"group-activity:{activity.id}",
                idempotency_key=f"group-guess:{activity.id}:{customer_id}",
                now=now,
            )
            entry.points = earned.points
    return entry
