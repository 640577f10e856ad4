"""Shapes of brand membership shared by the API, the console and the CLI. Points are whole points and
money is integer fen everywhere."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


# ---- programme, tiers, matching -----------------------------------------------------------------------------
class TierIn(BaseModel):
    name: str = Field(min_length=1, max_length=40)
    threshold: int = Field(ge=0, description="fen of spend in the window, or growth value")
    points_multiplier_pct: int = Field(default=100, ge=100, le=1_000, description="150 = 1.5× order points")
    privileges: list[str] = Field(default_factory=list, max_length=20)
    upgrade_gift_points: int = Field(default=0, ge=0)


class TierOut(TierIn):
    model_config = ConfigDict(from_attributes=True)

    level: int


class TierLadder(BaseModel):
    tiers: list[TierIn] = Field(min_length=1, max_length=10)


class TierLadderOut(BaseModel):
    tiers: list[TierOut]
    default: bool = Field(default=False, description="no ladder saved yet: these defaults apply")


class MatchingIn(BaseModel):
    mode: Literal["connected", "disconnected"]


class MatchingOut(BaseModel):
    """打通 / 不打通 and how well the brand's members match; never the shared key."""

    mode: str
    has_secret: bool = False
    total_hashes: int = 0
    matched_total: int = 0
    match_rate: float = 0.0


class MatchSecretOut(BaseModel):
    mode: str
    secret: str = Field(description="the HMAC-SHA256 key to share with the brand; shown once")


# ---- members -------------------------------------------------------------------------------------------------
class ConsentIn(BaseModel):
    source: Literal["console", "api", "h5", "brand", "import"] = "api"
    text: str = Field(default="", max_length=2_000, description="the terms the customer agreed to")
    evidence: str = Field(default="", max_length=300, description="e.g. IP and user agent, a signed form's id")


class JoinIn(BaseModel):
    """Join by an existing customer's id, or by phone (the customer is found or created)."""

    customer_id: int | None = None
    phone: str | None = Field(default=None, max_length=30)
    name: str = Field(default="", max_length=100)
    account: str = Field(default="", max_length=100)
    consent: ConsentIn | None = None


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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


class MemberPage(BaseModel):
    items: list[MemberOut]
    total: int
    page: int
    size: int
    pages: int


class MemberCard(MemberOut):
    """A member's card: tier and its privileges, points, debt, growth, what expires soon, check-in streak."""

    consent_at: datetime
    consent_source: str
    points_multiplier_pct: int = 100
    privileges: list[str] = Field(default_factory=list)
    expiring_points: int = 0
    expiring_first_at: datetime | None = None
    expiring_within_days: int = 30
    checkin_streak: int = 0


# ---- points --------------------------------------------------------------------------------------------------
class PointsEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    source: str
    points: int
    balance_after: int
    debt_change: int
    growth: int
    idempotency_key: str
    ref: str
    reason: str
    actor: str
    at: datetime


class LedgerOut(BaseModel):
    member_id: int
    items: list[PointsEntryOut]
    limit: int
    offset: int


class AdjustIn(BaseModel):
    points: int = Field(description="positive grants, negative deducts (never below zero)")
    reason: str = Field(min_length=1, max_length=300)
    idempotency_key: str = Field(min_length=1, max_length=160)


class SpendIn(BaseModel):
    points: int = Field(gt=0)
    reason: str = Field(default="", max_length=300)
    idempotency_key: str = Field(min_length=1, max_length=160)
    ref: str = Field(default="", max_length=80, description="e.g. the order number the points paid for")


class InteractionIn(BaseModel):
    kind: str = Field(min_length=1, max_length=20, description="checkin, follow, cart, vote, quiz, game, invite…")
    ref: str = Field(default="", max_length=80, description="the friend's account for invite; the activity id")
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=160)


class PointsResultOut(BaseModel):
    """What a points request did; ``replayed``: the key was seen before and nothing changed."""

    member_id: int
    points: int
    balance: int
    debt: int
    growth_value: int
    replayed: bool
    entry: PointsEntryOut | None = None


class OrderSyncOut(BaseModel):
    awarded: int
    points: int
    reversed: int


class ExpiryOut(BaseModel):
    points_expired: int


class TierReviewOut(BaseModel):
    members: int
    upgraded: int
    downgraded: int


class BirthdayGiftsOut(BaseModel):
    members: int


# ---- points mall ---------------------------------------------------------------------------------------------
class MallItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["coupon", "gift", "lottery"]
    points_cost: int = Field(gt=0)
    stock: int = Field(ge=0)
    per_member_limit: int = Field(default=1, ge=0, description="0: no limit")
    description: str = Field(default="", max_length=2_000)
    coupon_template_id: int | None = None
    win_rate_pct: int = Field(default=0, ge=0, le=100)
    min_tier_level: int = Field(default=1, ge=1)
    active: bool = True


class MallItemPatch(BaseModel):
    stock: int | None = Field(default=None, ge=0)
    active: bool | None = None
    points_cost: int | None = Field(default=None, gt=0)


class MallItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    description: str
    points_cost: int
    stock: int
    redeemed_count: int
    per_member_limit: int
    coupon_template_id: int | None
    win_rate_pct: int
    min_tier_level: int
    active: bool
    created_at: datetime


class RedeemIn(BaseModel):
    member_id: int
    idempotency_key: str = Field(min_length=1, max_length=150)


class RedemptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    item_id: int
    member_id: int
    points: int
    status: str
    coupon_id: int | None
    at: datetime
    item_name: str = ""


# ---- identity matching ---------------------------------------------------------------------------------------
class HashUploadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    legal_basis: str
    rows: int
    new_hashes: int
    matched: int
    rejected: int
    uploaded_by: str
    at: datetime


class UploadReportOut(BaseModel):
    """One upload's counts and the shop's match rate after it."""

    upload_id: int
    filename: str
    rows: int
    new: int
    matched_now: int
    rejected: int
    total_hashes: int
    matched_total: int
    match_rate: float


class MatchRunOut(BaseModel):
    matched_now: int
    total_hashes: int
    matched_total: int
    match_rate: float


# ---- analytics -----------------------------------------------------------------------------------------------
class CohortOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    buyers: int
    repeat_buyers: int
    orders: int
    gmv_fen: int
    repurchase_rate: float
    aov_fen: int


class TierCountOut(BaseModel):
    level: int
    name: str
    members: int


class MonthOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    month: str
    new_members: int
    returning_members: int
    points_issued: int
    points_spent: int
    points_expired: int
    points_reversed: int


class MemberAnalyticsOut(BaseModel):
    """Members, shop members (bought once) and fans; member vs non-member repurchase and AOV."""

    model_config = ConfigDict(from_attributes=True)

    members: int
    shop_members: int
    fans: int
    new_members_30d: int
    points_outstanding: int
    points_debt: int
    window_days: int
    member: CohortOut
    non_member: CohortOut
    repurchase_ratio: float | None = Field(description="members' repurchase rate ÷ non-members' (seed: ~4×)")
    aov_uplift: float | None = Field(description="members' AOV ÷ non-members' − 1 (seed: ~+20%)")
    tiers: list[TierCountOut]
    months: list[MonthOut]

    @field_validator("tiers", mode="before")
    @classmethod
    def _tier_tuples(cls, value: Any) -> Any:
        return [
            {"level": t[0], "name": t[1], "members": t[2]} if isinstance(t, tuple | list) else t for t in value or []
        ]
