"""Customers and what they bought. Every table carries ``shop_id``: shops never share rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, UTCDateTime, utcnow

# Where a customer first came from (来源渠道) [M][P]; free text is allowed, these are the known ones.
SOURCE_CHANNELS: dict[str, tuple[str, str]] = {
    "jd_order": ("京东下单", "JD order"),
    "parcel_card": ("包裹卡", "Parcel card"),
    "official_account": ("公众号", "Official account"),
    "sms": ("短信", "SMS"),
    "app": ("APP", "App"),
    "fission": ("裂变", "Fission"),
    "partner": ("异业合作", "Partner brand"),
    "group": ("社群", "Group chat"),
}


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("shop_id", "account"),
        Index("ix_customers_shop_phone_tail", "shop_id", "phone_tail"),
        Index("ix_customers_shop_phone_hash", "shop_id", "phone_hash"),
        CheckConstraint("gender IN ('', 'male', 'female')", name="gender_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    account: Mapped[str] = mapped_column(String(100))  # JD 下单帐号 / pin
    name: Mapped[str] = mapped_column(String(100), default="")
    gender: Mapped[str] = mapped_column(String(8), default="")
    birthday: Mapped[date | None] = mapped_column(Date, nullable=True)
    province: Mapped[str] = mapped_column(String(40), default="")
    city: Mapped[str] = mapped_column(String(40), default="")
    phone_cipher: Mapped[str | None] = mapped_column(Text, nullable=True)  # AES-GCM of what was given
    phone_masked: Mapped[str] = mapped_column(String(40), default="")
    phone_tail: Mapped[str] = mapped_column(String(4), default="")
    phone_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # HMAC of a full mobile
    source_channel: Mapped[str] = mapped_column(String(40), default="jd_order")
    follows_shop: Mapped[bool] = mapped_column(Boolean, default=False)
    is_member: Mapped[bool] = mapped_column(Boolean, default=False)
    high_risk: Mapped[bool] = mapped_column(Boolean, default=False)  # flagged by JD risk control: no group joins
    merchant_account: Mapped[bool] = mapped_column(Boolean, default=False)  # another merchant's account
    member_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("shop_id", "sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300), default="")
    category: Mapped[str] = mapped_column(String(100), default="")
    price_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "order_no"),
        Index("ix_orders_shop_ordered_at", "shop_id", "ordered_at"),
        Index("ix_orders_customer_ordered_at", "customer_id", "ordered_at"),
        CheckConstraint("total_fen >= 0", name="total_not_negative"),
        CheckConstraint("paid_fen >= 0", name="paid_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_no: Mapped[str] = mapped_column(String(40))  # always text: 18-digit JD numbers
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(40))  # as JD wrote it
    is_paid: Mapped[bool] = mapped_column(Boolean)
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str] = mapped_column(String(60), default="")  # 订单来源
    total_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # 订单金额
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # 应付金额 / 实付金额


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "sku"),
        Index("ix_order_lines_shop_sku", "shop_id", "sku"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_fen >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(40))
    product_name: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)


class CustomerEvent(Base):
    """A behaviour event: follow, add to cart, view, check-in, join group, coupon, message… [M]."""

    __tablename__ = "customer_events"
    __table_args__ = (
        Index("ix_customer_events_shop_kind_at", "shop_id", "kind", "at"),
        Index("ix_customer_events_customer_at", "customer_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    ref: Mapped[str] = mapped_column(String(80), default="")  # e.g. the SKU added to cart
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ImportJob(Base):
    """One file import: its progress lives in memory while running, its result here."""

    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_shop_created", "shop_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="orders")
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued|running|done|failed
    encoding: Mapped[str] = mapped_column(String(20), default="")
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    lines_added: Mapped[int] = mapped_column(Integer, default=0)
    lines_already_present: Mapped[int] = mapped_column(Integer, default=0)
    orders_added: Mapped[int] = mapped_column(Integer, default=0)
    customers_added: Mapped[int] = mapped_column(Integer, default=0)
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str] = mapped_column(String(60), default="")
    error_zh: Mapped[str] = mapped_column(Text, default="")
    error_en: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ImportProblem(Base):
    """A rejected row of an import: row number (as a spreadsheet shows it), column and reason."""

    __tablename__ = "import_problems"
    __table_args__ = (Index("ix_import_problems_job_row", "job_id", "row_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"))
    row_no: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(String(200), default="")
    reason_zh: Mapped[str] = mapped_column(String(300))
    reason_en: Mapped[str] = mapped_column(String(300))
