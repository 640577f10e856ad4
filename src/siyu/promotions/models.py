"""Tables of the promotions area: coupon templates, issued coupons, fission shares.

The database backs the invariants the services keep: a template never issues more than its stock
(CHECK), a customer never holds more than the limit (UNIQUE template+customer+seq, seq in 1..limit),
an idempotency key issues one coupon per shop (UNIQUE), a friend counts once per coupon (UNIQUE).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, UTCDateTime, utcnow


class CouponTemplate(Base):
    """A coupon as the shop defines it (优惠券模板): kind, scope, windows, stock and limits."""

    __tablename__ = "coupon_templates"
    __table_args__ = (
        CheckConstraint("claimed_count >= 0 AND claimed_count <= total_stock", name="stock"),
        CheckConstraint("total_stock >= 1", name="total_stock_positive"),
        CheckConstraint("per_customer_limit >= 1", name="limit_positive"),
        CheckConstraint("kind IN ('full_reduction', 'discount', 'no_threshold')", name="kind"),
        CheckConstraint("scope IN ('shop', 'skus', 'categories')", name="scope"),
        CheckConstraint("channel IN ('any', 'member', 'group', 'fission')", name="channel"),
        CheckConstraint("status IN ('active', 'stopped')", name="status"),
        CheckConstraint("threshold_fen >= 0 AND reduction_fen >= 0", name="amounts"),
        CheckConstraint("discount_pct IS NULL OR (discount_pct BETWEEN 1 AND 99)", name="discount_pct"),
        CheckConstraint("use_end IS NOT NULL OR use_days IS NOT NULL", name="use_window"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    threshold_fen: Mapped[int] = mapped_column(Integer, default=0)
    reduction_fen: Mapped[int] = mapped_column(Integer, default=0)
    discount_pct: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_discount_fen: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scope: Mapped[str] = mapped_column(String(12), default="shop")
    scope_items: Mapped[list[str]] = mapped_column(JSON, default=list)
    claim_start: Mapped[datetime] = mapped_column(UTCDateTime())
    claim_end: Mapped[datetime] = mapped_column(UTCDateTime())
    use_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    use_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    use_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    total_stock: Mapped[int] = mapped_column(Integer)
    claimed_count: Mapped[int] = mapped_column(Integer, default=0)
    per_customer_limit: Mapped[int] = mapped_column(Integer, default=1)
    channel: Mapped[str] = mapped_column(String(10), default="any")
    fission_friends: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Coupon(Base):
    """One coupon in a customer's hands (seq counts the customer's coupons of the template: 1..limit)."""

    __tablename__ = "coupons"
    __table_args__ = (
        UniqueConstraint("template_id", "customer_id", "seq"),
        UniqueConstraint("shop_id", "idempotency_key"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        CheckConstraint("status IN ('locked', 'claimed', 'used', 'expired')", name="status"),
        CheckConstraint("status <> 'used' OR (order_no IS NOT NULL AND used_at IS NOT NULL)", name="used_has_order"),
        Index("ix_coupons_shop_customer", "shop_id", "customer_id"),
        Index("ix_coupons_template_status", "template_id", "status"),
        Index("ix_coupons_shop_status_valid_until", "shop_id", "status", "valid_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_templates.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(12))
    idempotency_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    unlocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    order_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    discount_fen: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FissionShare(Base):
    """A distinct friend a fission coupon was shared with (裂变分享)."""

    __tablename__ = "coupon_fission_shares"
    __table_args__ = (UniqueConstraint("coupon_id", "friend_customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id", ondelete="CASCADE"))
    friend_customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
