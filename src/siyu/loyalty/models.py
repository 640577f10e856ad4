"""Tables of brand membership (品牌会员): the programme, tiers, members, the points ledger and its lots,
the points mall, and the brand's member hashes for identity matching (会员通).

Points are an append-only ledger (``points_entries``). A member's cached balance is written in the same
transaction as each entry, under the member's row lock, and equals both the ledger sum and the sum of
the remaining points of the member's lots; CHECK constraints keep every figure non-negative.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, UTCDateTime, utcnow


class MemberProgram(Base):
    """A shop's member programme settings (defaults apply while there is no row)."""

    __tablename__ = "member_programs"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # 打通 (connected: the brand's members are matched by keyed hash) or 不打通 (disconnected)
    mode: Mapped[str] = mapped_column(String(20), default="disconnected")
    # the HMAC key shared with the brand for matching; random, shown only to the main account
    match_secret: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MemberTier(Base):
    __tablename__ = "member_tiers"
    __table_args__ = (
        UniqueConstraint("shop_id", "level"),
        CheckConstraint("level >= 1", name="level_positive"),
        CheckConstraint("threshold >= 0", name="threshold_not_negative"),
        CheckConstraint("points_multiplier_pct >= 100", name="multiplier_at_least_one"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)  # 1 = entry tier
    name: Mapped[str] = mapped_column(String(40))
    threshold: Mapped[int] = mapped_column(Integer, default=0)  # fen of spend, or growth value
    points_multiplier_pct: Mapped[int] = mapped_column(Integer, default=100)  # 150 = 1.5× points
    privileges: Mapped[list[str]] = mapped_column(JSON, default=list)
    upgrade_gift_points: Mapped[int] = mapped_column(Integer, default=0)


class Member(Base):
    """A customer who joined the brand membership (开卡), with the proof of consent."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("shop_id", "customer_id"),
        Index("ix_members_shop_joined", "shop_id", "joined_at"),
        CheckConstraint("points_balance >= 0", name="balance_not_negative"),
        CheckConstraint("points_debt >= 0", name="debt_not_negative"),
        CheckConstraint("growth_value >= 0", name="growth_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    member_no: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | left
    source: Mapped[str] = mapped_column(String(20), default="console")  # console | api | h5 | brand | import
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    consent_source: Mapped[str] = mapped_column(String(20), default="console")
    consent_text: Mapped[str] = mapped_column(Text, default="")
    consent_evidence: Mapped[str] = mapped_column(String(300), default="")  # e.g. IP + user agent, upload id
    tier_level: Mapped[int] = mapped_column(Integer, default=1)
    tier_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    growth_value: Mapped[int] = mapped_column(Integer, default=0)
    # cached ledger sum, written only together with a ledger entry under this row's lock
    points_balance: Mapped[int] = mapped_column(Integer, default=0)
    # points a refund could not take back because they were already spent; repaid from later earnings
    points_debt: Mapped[int] = mapped_column(Integer, default=0)


class PointsEntry(Base):
    """One line of the points ledger; never updated, never deleted."""

    __tablename__ = "points_entries"
    __table_args__ = (
        UniqueConstraint("shop_id", "idempotency_key"),
        Index("ix_points_entries_member_at", "member_id", "at"),
        Index("ix_points_entries_shop_source_at", "shop_id", "source", "at"),
        CheckConstraint("points <> 0 OR debt_change <> 0 OR growth <> 0", name="changes_something"),
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))  # earn | spend | expire | reverse | repay
    source: Mapped[str] = mapped_column(String(20))  # order | checkin | follow | cart | … | manual | mall
    points: Mapped[int] = mapped_column(Integer)  # signed
    balance_after: Mapped[int] = mapped_column(Integer)
    debt_change: Mapped[int] = mapped_column(Integer, default=0)  # + a refund could not take back, - repaid
    growth: Mapped[int] = mapped_column(Integer, default=0)  # growth value (成长值) this entry added or took
    idempotency_key: Mapped[str] = mapped_column(String(160))
    ref: Mapped[str] = mapped_column(String(80), default="")  # order number, local date, item id…
    reason: Mapped[str] = mapped_column(String(300), default="")
    actor: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PointsLot(Base):
    """Points earned together, spent and expired oldest first (FIFO by expiry, then by earning)."""

    __tablename__ = "points_lots"
    __table_args__ = (
        Index("ix_points_lots_member_open", "member_id", "expires_at"),
        Index("ix_points_lots_shop_expires", "shop_id", "expires_at"),
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("remaining >= 0 AND remaining <= points", name="remaining_within_points"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("points_entries.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(80), default="")
    points: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # None: never


class MallItem(Base):
    """A points mall (积分商城) item: a coupon, a gift, or a lottery entry."""

    __tablename__ = "mall_items"
    __table_args__ = (
        CheckConstraint("points_cost > 0", name="cost_positive"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("per_member_limit >= 0", name="limit_not_negative"),
        CheckConstraint("kind IN ('coupon', 'gift', 'lottery')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text, default="")
    points_cost: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer, default=0)  # left to redeem
    redeemed_count: Mapped[int] = mapped_column(Integer, default=0)
    per_member_limit: Mapped[int] = mapped_column(Integer, default=0)  # 0: no limit
    coupon_template_id: Mapped[int | None] = mapped_column(
        ForeignKey("coupon_templates.id", ondelete="SET NULL"), nullable=True
    )
    win_rate_pct: Mapped[int] = mapped_column(Integer, default=0)  # lottery entries: chance to win
    min_tier_level: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MallRedemption(Base):
    __tablename__ = "mall_redemptions"
    __table_args__ = (
        UniqueConstraint("shop_id", "idempotency_key"),
        Index("ix_mall_redemptions_item_member", "item_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("mall_items.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    points: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # redeemed | won | not_won
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id", ondelete="SET NULL"), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(160))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MemberHashUpload(Base):
    """One upload of the brand's member list as keyed hashes (PIPL: legal basis recorded, audited)."""

    __tablename__ = "member_hash_uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    legal_basis: Mapped[str] = mapped_column(String(300))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    new_hashes: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_by: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BrandMemberHash(Base):
    """A brand member known only by HMAC-SHA256(shared key, 11-digit mobile); kept until it matches."""

    __tablename__ = "brand_member_hashes"
    __table_args__ = (
        UniqueConstraint("shop_id", "phone_hmac"),
        Index("ix_brand_member_hashes_shop_matched", "shop_id", "matched_customer_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    phone_hmac: Mapped[str] = mapped_column(String(64))
    brand_ref: Mapped[str] = mapped_column(String(80), default="")  # the brand's own member number
    brand_tier: Mapped[str] = mapped_column(String(40), default="")
    upload_id: Mapped[int] = mapped_column(ForeignKey("member_hash_uploads.id", ondelete="CASCADE"))
    matched_customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), nullable=True
    )
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
