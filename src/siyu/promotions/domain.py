"""Pure rules of coupons: template terms, the discount, validity windows, channels and the coupon's
state machine. No database, no framework: everything here is tested without one.

Money is integer fen. A percentage discount is rounded *down* to whole fen (the shop never gives away
a fraction of a fen; the customer pays the rest, rounded up).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from siyu.promotions.errors import (
    ChannelNotAllowed,
    IllegalTransition,
    InvalidTemplate,
    NothingInScope,
    ThresholdNotMet,
    UnknownChannel,
)

KINDS = ("full_reduction", "discount", "no_threshold")
SCOPES = ("shop", "skus", "categories")
RESTRICTIONS = ("any", "member", "group", "fission")
TEMPLATE_STATUSES = ("active", "stopped")
# what callers say about where a claim comes from
CHANNELS = ("shop", "member", "group", "mall", "join_gift", "fission", "api", "console", "h5")
MAX_STOCK = 100_000_000
MAX_LIMIT = 100
MAX_FISSION_FRIENDS = 100
MAX_USE_DAYS = 3_650


class CouponStatus(StrEnum):
    LOCKED = "locked"  # a fission coupon waiting for its friends
    CLAIMED = "claimed"  # in the customer's hands, usable inside its window
    USED = "used"
    EXPIRED = "expired"


class CouponEvent(StrEnum):
    UNLOCK = "unlock"  # the N-th distinct friend was recorded
    USE = "use"
    REFUND = "refund"  # order refunded while the coupon's window is still open
    REFUND_LATE = "refund_late"  # order refunded after the window closed
    EXPIRE = "expire"


S, E = CouponStatus, CouponEvent
TRANSITIONS: dict[tuple[CouponStatus, CouponEvent], CouponStatus] = {
    (S.LOCKED, E.UNLOCK): S.CLAIMED,
    (S.LOCKED, E.EXPIRE): S.EXPIRED,
    (S.CLAIMED, E.USE): S.USED,
    (S.CLAIMED, E.EXPIRE): S.EXPIRED,
    (S.USED, E.REFUND): S.CLAIMED,
    (S.USED, E.REFUND_LATE): S.EXPIRED,
}
"""Every legal move of a coupon; anything else is refused. ``used`` and ``expired`` never expire again,
``expired`` is final."""


def next_status(status: str, event: str) -> CouponStatus:
    """The state after ``event``, or :class:`IllegalTransition`."""
    try:
        return TRANSITIONS[(CouponStatus(status), CouponEvent(event))]
    except (KeyError, ValueError):
        raise IllegalTransition(status, event) from None


def initial_status(restriction: str) -> CouponStatus:
    """A fission coupon starts locked; every other coupon is usable at once."""
    return CouponStatus.LOCKED if restriction == "fission" else CouponStatus.CLAIMED


# ---- template terms ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TemplateTerms:
    """What a coupon template promises; validated by :func:`check_terms`."""

    kind: str
    claim_start: datetime
    claim_end: datetime
    total_stock: int
    threshold_fen: int = 0
    reduction_fen: int = 0
    discount_pct: int | None = None
    max_discount_fen: int | None = None
    scope: str = "shop"
    scope_items: tuple[str, ...] = ()
    use_start: datetime | None = None
    use_end: datetime | None = None
    use_days: int | None = None
    per_customer_limit: int = 1
    channel: str = "any"
    fission_friends: int | None = None


def _bad(zh: str, en: str, field_name: str) -> InvalidTemplate:
    return InvalidTemplate(zh, en, field=field_name)


def check_terms(t: TemplateTerms) -> None:
    """Refuse contradictory terms with a message saying which one (zh and en)."""
    if t.kind not in KINDS:
        raise _bad(f"未知的优惠券类型「{t.kind}」", f"unknown coupon kind '{t.kind}'", "kind")
    if t.threshold_fen < 0 or t.reduction_fen < 0:
        raise _bad("金额不能为负数", "amounts cannot be negative", "threshold_fen")
    if t.kind == "full_reduction":
        if t.threshold_fen < 1:
            raise _bad("满减券必须设置门槛金额", "a full-reduction coupon needs a threshold", "threshold_fen")
        if t.reduction_fen < 1:
            raise _bad("减免金额至少 0.01 元", "the reduction must be at least ¥0.01", "reduction_fen")
        if t.reduction_fen >= t.threshold_fen:
            raise _bad(
                "满减券的减免金额必须小于门槛金额",
                "a full-reduction coupon's reduction must be less than its threshold",
                "reduction_fen",
            )
    if t.kind == "no_threshold":
        if t.reduction_fen < 1:
            raise _bad("减免金额至少 0.01 元", "the reduction must be at least ¥0.01", "reduction_fen")
        if t.threshold_fen:
            raise _bad("无门槛券不能设置门槛金额", "a no-threshold coupon cannot have a threshold", "threshold_fen")
    if t.kind == "discount":
        if t.discount_pct is None or not 1 <= t.discount_pct <= 99:
            raise _bad(
                "折扣须在 1 到 99 之间（85 即 8.5 折）",
                "discount_pct must be between 1 and 99 (85 means pay 85%)",
                "discount_pct",
            )
        if t.max_discount_fen is not None and t.max_discount_fen < 1:
            raise _bad("最高优惠金额至少 0.01 元", "the discount cap must be at least ¥0.01", "max_discount_fen")
        if t.reduction_fen:
            raise _bad("折扣券不设减免金额", "a discount coupon has no reduction amount", "reduction_fen")
    elif t.discount_pct is not None or t.max_discount_fen is not None:
        raise _bad("只有折扣券可以设置折扣", "only a discount coupon has a discount percentage", "discount_pct")
    if t.scope not in SCOPES:
        raise _bad(f"未知的适用范围「{t.scope}」", f"unknown scope '{t.scope}'", "scope")
    if t.scope == "shop" and t.scope_items:
        raise _bad("全店通用券不能指定商品或类目", "a shop-wide coupon lists no SKUs or categories", "scope_items")
    if t.scope != "shop" and not [item for item in t.scope_items if item.strip()]:
        raise _bad("请指定适用的商品或类目", "list the SKUs or categories the coupon applies to", "scope_items")
    for name, value in (
        ("claim_start", t.claim_start),
        ("claim_end", t.claim_end),
        ("use_start", t.use_start),
        ("use_end", t.use_end),
    ):
        if value is not None and value.tzinfo is None:
            raise _bad("时间必须带时区", f"{name} must carry a time zone", name)
    if t.claim_end <= t.claim_start:
        raise _bad("领取结束时间必须晚于开始时间", "the claim window ends before it starts", "claim_end")
    if t.use_days is None and t.use_end is None:
        raise _bad(
            "请设置使用期限：固定结束时间或领取后有效天数",
            "set the use window: a fixed end, or a number of days after claiming",
            "use_end",
        )
    if t.use_days is not None and not 1 <= t.use_days <= MAX_USE_DAYS:
        raise _bad(f"有效天数须在 1 到 {MAX_USE_DAYS} 之间", f"use_days must be 1..{MAX_USE_DAYS}", "use_days")
    if t.use_start is not None and t.use_end is not None and t.use_end <= t.use_start:
        raise _bad("使用结束时间必须晚于开始时间", "the use window ends before it starts", "use_end")
    if t.use_end is not None and t.use_end < t.claim_end:
        raise _bad(
            "使用结束时间不能早于领取结束时间",
            "the use window may not end before the claim window does",
            "use_end",
        )
    if not 1 <= t.total_stock <= MAX_STOCK:
        raise _bad("库存至少 1 张", f"total stock must be 1..{MAX_STOCK:,}", "total_stock")
    if not 1 <= t.per_customer_limit <= MAX_LIMIT:
        raise _bad(
            f"每人限领须在 1 到 {MAX_LIMIT} 之间",
            f"the per-customer limit must be 1..{MAX_LIMIT}",
            "per_customer_limit",
        )
    if t.channel not in RESTRICTIONS:
        raise _bad(f"未知的领取渠道限制「{t.channel}」", f"unknown channel restriction '{t.channel}'", "channel")
    if t.channel == "fission":
        if t.fission_friends is None or not 1 <= t.fission_friends <= MAX_FISSION_FRIENDS:
            raise _bad(
                f"裂变券须设置分享好友数（1 到 {MAX_FISSION_FRIENDS}）",
                f"a fission coupon needs fission_friends of 1..{MAX_FISSION_FRIENDS}",
                "fission_friends",
            )
    elif t.fission_friends is not None:
        raise _bad("只有裂变券可以设置分享好友数", "only a fission coupon has fission_friends", "fission_friends")


# ---- windows --------------------------------------------------------------------------------------------
def claim_window_state(t: TemplateTerms, now: datetime) -> str:
    """'early', 'open' or 'closed'; both ends are inclusive."""
    if now < t.claim_start:
        return "early"
    return "open" if now <= t.claim_end else "closed"


def validity(t: TemplateTerms, claimed_at: datetime) -> tuple[datetime, datetime]:
    """(valid_from, valid_until) of a coupon claimed at ``claimed_at``.

    Fixed window: [use_start or claim time, use_end]. Relative: ``use_days`` × 24 h from the claim,
    never later than a fixed ``use_end`` and never earlier-starting than ``use_start`` when given.
    """
    start = claimed_at if t.use_start is None else max(t.use_start, claimed_at)
    if t.use_days is None:
        assert t.use_end is not None
        return start, t.use_end
    until = claimed_at + timedelta(days=t.use_days)
    if t.use_end is not None:
        until = min(until, t.use_end)
    return start, until


# ---- channels -------------------------------------------------------------------------------------------
def check_channel(restriction: str, channel: str, *, is_member: bool) -> None:
    """May a claim through ``channel`` take a coupon restricted to ``restriction``?

    ``any`` and ``fission`` accept every channel; ``member`` every channel for members; ``group`` only a
    claim made inside the group chat.
    """
    if channel not in CHANNELS:
        raise UnknownChannel(channel)
    if restriction == "member" and not is_member:
        raise ChannelNotAllowed(restriction, channel)
    if restriction == "group" and channel != "group":
        raise ChannelNotAllowed(restriction, channel)


# ---- the discount ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    category: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Offer:
    """The money part of a template."""

    kind: str
    threshold_fen: int = 0
    reduction_fen: int = 0
    discount_pct: int | None = None
    max_discount_fen: int | None = None
    scope: str = "shop"
    scope_items: frozenset[str] = field(default_factory=frozenset)


def eligible_amount(offer: Offer, lines: Iterable[OrderLine]) -> int:
    """The amount of the order's lines inside the coupon's scope."""
    if offer.scope == "skus":
        return sum(line.amount_fen for line in lines if line.sku in offer.scope_items)
    if offer.scope == "categories":
        return sum(line.amount_fen for line in lines if line.category in offer.scope_items)
    return sum(line.amount_fen for line in lines)


def discount_for(offer: Offer, eligible_fen: int) -> int:
    """The discount in fen on ``eligible_fen`` of in-scope goods (threshold checked by the caller).

    - 满减: exactly ``reduction_fen`` (always below the threshold, so below the amount);
    - 折扣: ``floor(amount × (100 − pct) / 100)`` in integer arithmetic, then capped;
    - 无门槛: ``reduction_fen``, never more than the amount.
    """
    if eligible_fen <= 0:
        return 0
    if offer.kind == "full_reduction":
        return min(offer.reduction_fen, eligible_fen)
    if offer.kind == "no_threshold":
        return min(offer.reduction_fen, eligible_fen)
    assert offer.discount_pct is not None
    off = eligible_fen * (100 - offer.discount_pct) // 100  # rounds the discount down to whole fen
    if offer.max_discount_fen is not None:
        off = min(off, offer.max_discount_fen)
    return off


def price_order(offer: Offer, lines: Iterable[OrderLine]) -> tuple[int, int]:
    """(eligible amount, discount) for an order, or the error a customer would see."""
    lines = list(lines)
    for line in lines:
        if line.amount_fen < 0:
            raise ValueError("negative line amount")
    if offer.scope != "shop" and not any(
        (line.sku if offer.scope == "skus" else line.category) in offer.scope_items for line in lines
    ):
        raise NothingInScope()
    eligible = eligible_amount(offer, lines)
    if eligible < offer.threshold_fen or eligible <= 0:
        raise ThresholdNotMet(offer.threshold_fen, eligible)
    return eligible, discount_for(offer, eligible)


# ---- codes ----------------------------------------------------------------------------------------------
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, no 0/O or 1/I look-alikes
CODE_LENGTH = 12  # 60 random bits


def new_code() -> str:
    """A short, unguessable coupon code (12 symbols of a 32-letter alphabet from ``secrets``)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
