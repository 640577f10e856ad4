"""Pure rules of brand membership and points: earning, FIFO spending and expiry, refunds, streaks,
tiers and the keyed phone hash of identity matching. No database, no clock: callers pass what they know.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field, field_validator

# Interactions that earn points [M][G]: key -> (zh, en)
INTERACTIONS: dict[str, tuple[str, str]] = {
    "checkin": ("每日签到", "Daily check-in"),
    "follow": ("关注店铺", "Follow the shop"),
    "cart": ("加入购物车", "Add to cart"),
    "vote": ("投票", "Vote"),
    "quiz": ("答题", "Quiz"),
    "game": ("互动游戏", "Game"),
    "invite": ("邀请好友", "Invite a friend"),
    "guess_price": ("猜价格", "Guess the price"),
    "review": ("评价晒单", "Review"),
}
# Where points come from or go to, for reports: key -> (zh, en)
SOURCES: dict[str, tuple[str, str]] = {
    "order": ("购物", "Order"),
    "join_gift": ("开卡礼", "Join gift"),
    "birthday": ("生日礼", "Birthday gift"),
    "tier_gift": ("升级礼", "Tier gift"),
    "manual": ("人工调整", "Manual"),
    "mall": ("积分商城", "Points mall"),
    "expiry": ("过期", "Expiry"),
    "refund": ("退款扣回", "Refund"),
    "debt": ("抵扣欠分", "Debt repaid"),
    **INTERACTIONS,
}
MOBILE = re.compile(r"^1[3-9]\d{9}$")


class InteractionRule(BaseModel):
    points: int = Field(default=0, ge=0, le=100_000)
    daily_limit: int = Field(default=1, ge=0, le=1_000)  # times a shop-local day; 0: no limit
    lifetime_limit: int = Field(default=0, ge=0, le=100_000)  # 0: no limit
    growth: int = Field(default=0, ge=0, le=100_000)  # growth value (成长值) per time


class CheckinRule(BaseModel):
    points: int = Field(default=5, ge=0, le=100_000)
    growth: int = Field(default=1, ge=0, le=100_000)
    # consecutive day -> extra points that day, e.g. {7: 20}: the 7th day in a row earns 20 more;
    # a streak longer than the largest key starts the cycle again
    streak_bonus: dict[int, int] = Field(default_factory=lambda: {3: 5, 7: 20})

    @field_validator("streak_bonus")
    @classmethod
    def _days_positive(cls, value: dict[int, int]) -> dict[int, int]:
        if any(day < 1 or day > 366 or bonus < 0 for day, bonus in value.items()):
            raise ValueError("streak days must be 1–366 and bonuses not negative")
        return dict(sorted(value.items()))


def _default_interactions() -> dict[str, InteractionRule]:
    return {
        "follow": InteractionRule(points=20, daily_limit=1, lifetime_limit=1),
        "cart": InteractionRule(points=2, daily_limit=5),
        "vote": InteractionRule(points=5, daily_limit=1),
        "quiz": InteractionRule(points=10, daily_limit=1),
        "game": InteractionRule(points=5, daily_limit=3),
        "invite": InteractionRule(points=50, daily_limit=10, lifetime_limit=100),
        "guess_price": InteractionRule(points=10, daily_limit=3),
        "review": InteractionRule(points=10, daily_limit=3),
    }


class ProgramSettings(BaseModel):
    """How a shop's member programme earns, spends and ranks; every figure is a setting, not a constant."""

    points_per_yuan: int = Field(default=1, ge=0, le=1_000)  # per whole yuan paid, before multipliers
    growth_per_yuan: int = Field(default=1, ge=0, le=1_000)
    expiry_days: int = Field(default=365, ge=0, le=3_650)  # 0: points never expire
    expiring_notice_days: int = Field(default=30, ge=1, le=365)
    member_day: int | None = Field(default=None, ge=1, le=28)  # day of the month (每月会员日)
    member_day_multiplier_pct: int = Field(default=200, ge=100, le=1_000)
    join_gift_points: int = Field(default=100, ge=0, le=1_000_000)
    join_gift_coupon_template_id: int | None = None
    birthday_gift_points: int = Field(default=200, ge=0, le=1_000_000)
    birthday_gift_coupon_template_id: int | None = None
    tier_basis: Literal["spend", "growth"] = "spend"
    tier_window_days: int = Field(default=365, ge=30, le=3_650)  # spend counted over this window
    downgrade: Literal["none", "one_level", "to_fitting"] = "one_level"
    checkin: CheckinRule = Field(default_factory=CheckinRule)
    interactions: dict[str, InteractionRule] = Field(default_factory=_default_interactions)

    @field_validator("interactions")
    @classmethod
    def _known(cls, value: dict[str, InteractionRule]) -> dict[str, InteractionRule]:
        unknown = sorted(set(value) - set(INTERACTIONS) - {"checkin"})
        if unknown:
            raise ValueError(f"unknown interactions: {', '.join(unknown)}")
        return value

    def interaction(self, kind: str) -> InteractionRule:
        if kind == "checkin":
            return InteractionRule(
                points=self.checkin.points, daily_limit=1, lifetime_limit=0, growth=self.checkin.growth
            )
        return self.interactions.get(kind, InteractionRule(points=0, daily_limit=0))


@dataclass(frozen=True, slots=True)
class TierRung:
    level: int
    threshold: int
    multiplier_pct: int = 100


DEFAULT_TIERS: tuple[tuple[str, str, int, int, tuple[str, ...]], ...] = (
    # name, English name, threshold in fen of spend, points multiplier %, privileges
    ("普通会员", "Member", 0, 100, ("会员价", "生日礼")),
    ("银卡会员", "Silver", 50_000, 120, ("会员价", "生日礼", "会员日双倍积分")),
    ("金卡会员", "Gold", 200_000, 150, ("会员价", "生日礼", "会员日双倍积分", "专属客服")),
    ("钻石会员", "Diamond", 500_000, 200, ("会员价", "生日礼", "会员日双倍积分", "专属客服", "新品优先购")),
)


def order_points(paid_fen: int, *, points_per_yuan: int, tier_pct: int = 100, day_pct: int = 100) -> int:
    """Points for a paid order: whole yuan × points per yuan × tier multiplier × member-day multiplier,
    rounded down (exact integer arithmetic; 1 fen short of a yuan earns nothing for it)."""
    if paid_fen <= 0:
        return 0
    return (paid_fen // 100) * points_per_yuan * tier_pct * day_pct // (100 * 100)


def growth_for_order(paid_fen: int, growth_per_yuan: int) -> int:
    return max(paid_fen, 0) * growth_per_yuan // 100


def is_member_day(day: date, member_day: int | None) -> bool:
    return member_day is not None and day.day == member_day


def streak_on(today: date, previous_days: Iterable[date]) -> int:
    """Consecutive check-in days ending today, given the earlier check-in days (any order)."""
    seen = set(previous_days)
    streak = 1
    day = today - timedelta(days=1)
    while day in seen:
        streak += 1
        day -= timedelta(days=1)
    return streak


def checkin_bonus(streak: int, rule: CheckinRule) -> int:
    """Extra points on the ``streak``-th consecutive day; the cycle restarts after the longest bonus day."""
    if not rule.streak_bonus:
        return 0
    cycle = max(rule.streak_bonus)
    position = (streak - 1) % cycle + 1
    return rule.streak_bonus.get(position, 0)


@dataclass(frozen=True, slots=True)
class Lot:
    """What FIFO needs to know about an open lot (points left, in spending order)."""

    id: int
    remaining: int


class NotEnoughPoints(ValueError):
    def __init__(self, wanted: int, available: int) -> None:
        super().__init__(f"wanted {wanted}, available {available}")
        self.wanted = wanted
        self.available = available


def take_fifo(lots: Sequence[Lot], amount: int) -> list[tuple[int, int]]:
    """Take ``amount`` points from lots given oldest first: [(lot id, points taken)]; all or nothing."""
    if amount < 0:
        raise ValueError("amount must not be negative")
    available = sum(lot.remaining for lot in lots)
    if amount > available:
        raise NotEnoughPoints(amount, available)
    taken: list[tuple[int, int]] = []
    left = amount
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining, left)
        if take:
            taken.append((lot.id, take))
            left -= take
    return taken


@dataclass(frozen=True, slots=True)
class Clawback:
    """How a refund takes back the points its order earned."""

    from_order_lot: int  # still unspent in the order's own lot
    from_other_lots: list[tuple[int, int]]  # FIFO from the member's other lots
    debt: int  # what could not be taken back: recorded, repaid from later earnings

    @property
    def taken(self) -> int:
        return self.from_order_lot + sum(t for _, t in self.from_other_lots)


def clawback(earned: int, order_lot_remaining: int, other_lots: Sequence[Lot]) -> Clawback:
    """Refund rule: take back ``earned`` points — first what is left of the order's own lot, then other
    points oldest first; whatever was already spent becomes a debt (the balance never goes negative)."""
    first = min(earned, order_lot_remaining)
    rest = earned - first
    available = sum(lot.remaining for lot in other_lots)
    from_others = take_fifo(other_lots, min(rest, available))
    return Clawback(first, from_others, rest - min(rest, available))


def repay_debt(earned: int, debt: int) -> int:
    """Points of a new earning that go to repay an open debt (the rest is credited)."""
    return min(max(earned, 0), max(debt, 0))


def fitting_level(value: int, rungs: Sequence[TierRung]) -> int:
    """The highest tier whose threshold ``value`` reaches (the entry tier at least)."""
    ordered = sorted(rungs, key=lambda r: r.level)
    if not ordered:
        return 1
    level = ordered[0].level
    for rung in ordered:
        if value >= rung.threshold:
            level = rung.level
    return level


def reviewed_level(current: int, value: int, rungs: Sequence[TierRung], downgrade: str) -> int:
    """A member's tier after a review: upgrades at once to what ``value`` reaches; downgrades by rule
    (``none`` keeps the tier, ``one_level`` steps down one tier at a time, ``to_fitting`` drops to fit)."""
    fit = fitting_level(value, rungs)
    if fit >= current:
        return fit
    if downgrade == "none":
        return current
    if downgrade == "one_level":
        lower = [r.level for r in rungs if r.level < current]
        return max(max(lower, default=current), fit)
    return fit


def normalise_mobile(raw: str) -> str | None:
    """An 11-digit mainland mobile from what a person typed (+86, spaces, dashes allowed), else None."""
    digits = re.sub(r"[\s\-()（）]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if MOBILE.match(digits) else None


def phone_hmac(secret: str, mobile: str) -> str:
    """The keyed hash brand and shop both compute: HMAC-SHA256(secret, 11-digit mobile), lowercase hex.

    A plain hash of an 11-digit number can be reversed by trying every number; a keyed one cannot
    without the secret.
    """
    return hmac.new(secret.encode(), mobile.encode(), hashlib.sha256).hexdigest()


HEX64 = re.compile(r"^[0-9a-f]{64}$")
