"""Tables of the campaigns area: campaigns, who each one reached (and who was held out), link clicks and
the planned marketing events of the calendar."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, UTCDateTime, utcnow

CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "paused", "done", "cancelled")
STATUS_ZH: dict[str, str] = {
    "draft": "草稿",
    "scheduled": "已排期",
    "sending": "发送中",
    "paused": "已暂停",
    "done": "已完成",
    "cancelled": "已取消",
}
"""A campaign's status in Chinese (the console has its own catalog entries ``campaign.<status>``)."""


class Campaign(Base):
    """An SMS (or app / WeChat) campaign: the message, the audience, the hold-out, the schedule."""

    __tablename__ = "campaigns"
    __table_args__ = (
        Index("ix_campaigns_shop_created", "shop_id", "created_at"),
        CheckConstraint("status IN ('draft', 'scheduled', 'sending', 'paused', 'done', 'cancelled')", name="status"),
        CheckConstraint("purpose IN ('marketing', 'notification')", name="purpose"),
        CheckConstraint("holdout_pct >= 0 AND holdout_pct <= 50", name="holdout"),
        CheckConstraint("attribution_days BETWEEN 1 AND 60", name="attribution"),
        CheckConstraint("batch_size BETWEEN 1 AND 30000", name="batch_size"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(10), default="sms")
    purpose: Mapped[str] = mapped_column(String(12), default="marketing")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    signature: Mapped[str] = mapped_column(String(20), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    link_url: Mapped[str] = mapped_column(String(500), default="")  # where the personal short links lead
    coupon_template_id: Mapped[int | None] = mapped_column(
        ForeignKey("coupon_templates.id", ondelete="SET NULL"), nullable=True
    )
    audience_id: Mapped[int | None] = mapped_column(ForeignKey("audiences.id", ondelete="SET NULL"), nullable=True)
    snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("audience_snapshots.id", ondelete="SET NULL"), nullable=True
    )
    event_id: Mapped[int | None] = mapped_column(ForeignKey("planned_events.id", ondelete="SET NULL"), nullable=True)
    holdout_pct: Mapped[int] = mapped_column(Integer, default=5)
    attribution_days: Mapped[int] = mapped_column(Integer, default=7)
    batch_size: Mapped[int] = mapped_column(Integer, default=30_000)
    batch_interval_minutes: Mapped[int] = mapped_column(Integer, default=0)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # figures fixed when the campaign is queued
    audience_count: Mapped[int] = mapped_column(Integer, default=0)
    holdout_count: Mapped[int] = mapped_column(Integer, default=0)
    excluded_count: Mapped[int] = mapped_column(Integer, default=0)
    queued_count: Mapped[int] = mapped_column(Integer, default=0)
    parts_total: Mapped[int] = mapped_column(Integer, default=0)
    price_fen_per_part: Mapped[int] = mapped_column(Integer, default=0)
    lints: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CampaignRecipient(Base):
    """Each customer of the campaign's audience and the arm they fell in: target, hold-out or excluded."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        CheckConstraint("arm IN ('target', 'holdout', 'excluded')", name="arm"),
        Index("ix_campaign_recipients_customer", "shop_id", "customer_id"),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    arm: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(20), default="")  # why excluded: opted_out, no_phone, no_consent…


class LinkClick(Base):
    """A click on a recipient's personal short link."""

    __tablename__ = "link_clicks"
    __table_args__ = (Index("ix_link_clicks_campaign", "campaign_id", "customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class PlannedEvent(Base):
    """A marketing event on the calendar (618, member day, new arrivals…) that campaigns prepare."""

    __tablename__ = "planned_events"
    __table_args__ = (
        Index("ix_planned_events_shop_start", "shop_id", "starts_at"),
        CheckConstraint("kind IN ('big', 'medium', 'routine', 'new_arrival')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(12))
    festival: Mapped[str] = mapped_column(String(12), default="")  # 618 | 11.11 | 12.12 | nianhuo | ""
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
