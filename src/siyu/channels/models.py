"""Tables of the channels area: per-channel settings, consent (current state and its history), the
outbox, contact counts behind the frequency caps, the local sink and inbound replies.

The database backs the invariants: one current consent per (customer, channel) (UNIQUE); one outbox row
per (campaign, customer, channel) (UNIQUE), so a message cannot be queued twice; one contact count per
(customer, channel, period) whose value never passes the cap (the UPDATE that raises it checks the cap);
one sink record per client reference (UNIQUE), so the local sink is idempotent like a provider lookup.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, UTCDateTime, utcnow

CHANNELS = ("sms", "app", "wechat")
OUTBOX_STATUSES = ("queued", "sending", "sent", "delivered", "failed", "skipped", "cancelled")


class ChannelSettings(Base):
    """How a shop reaches customers on one channel: provider, caps, quiet hours, price, words."""

    __tablename__ = "channel_settings"
    __table_args__ = (
        UniqueConstraint("shop_id", "channel"),
        CheckConstraint("daily_cap >= 0 AND weekly_cap >= 0", name="caps"),
        CheckConstraint("rate_per_second >= 1", name="rate"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    provider: Mapped[str] = mapped_column(String(10), default="sink")  # "sink" | "http"
    rules: Mapped[str] = mapped_column(String(10), default="generic")  # provider rules: generic | aliyun | tencent
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # http: url, key, secret, timeout
    signature: Mapped[str] = mapped_column(String(20), default="")
    daily_cap: Mapped[int] = mapped_column(Integer, default=1)  # marketing messages per customer per day
    weekly_cap: Mapped[int] = mapped_column(Integer, default=3)  # … per ISO week (shop time); 0 = no cap
    quiet_start: Mapped[str] = mapped_column(String(5), default="20:00")  # shop time, HH:MM
    quiet_end: Mapped[str] = mapped_column(String(5), default="08:00")
    rate_per_second: Mapped[int] = mapped_column(Integer, default=50)  # all workers together
    price_fen_per_part: Mapped[int] = mapped_column(Integer, default=5)
    optout_words: Mapped[list[str]] = mapped_column(JSON, default=list)  # extra reply words meaning opt-out
    forbidden_words: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # None = the default list
    require_consent: Mapped[bool] = mapped_column(Boolean, default=True)
    # the shared send-rate window: the second it counts and how many sends it has handed out
    rate_window: Mapped[int] = mapped_column(Integer, default=0)
    rate_used: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Consent(Base):
    """Whether a customer agreed to marketing on a channel, now; the history is in consent_events."""

    __tablename__ = "consents"
    __table_args__ = (
        UniqueConstraint("shop_id", "customer_id", "channel"),
        CheckConstraint("status IN ('granted', 'withdrawn')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(40), default="")


class ConsentEvent(Base):
    """Proof of consent and of its withdrawal (time, source, exact text, evidence): append-only."""

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_customer", "shop_id", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(10))  # grant | withdraw
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(40), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(String(300), default="")
    recorded_by: Mapped[str] = mapped_column(String(120), default="")


class OutboxMessage(Base):
    """One message to send: written with the campaign, taken by `siyu worker`, never sent twice."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id", "channel"),
        UniqueConstraint("shop_id", "ref"),
        Index("ix_outbox_due", "status", "due_at"),
        Index("ix_outbox_campaign_status", "campaign_id", "status"),
        Index("ix_outbox_customer", "shop_id", "customer_id", "sent_at"),
        CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'skipped', 'cancelled')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(12), default="marketing")  # marketing | notification
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    ref: Mapped[str | None] = mapped_column(String(80), nullable=True)  # dedupe key of a message without campaign
    batch_no: Mapped[int] = mapped_column(Integer, default=1)
    text: Mapped[str] = mapped_column(Text)
    parts: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    provider_ref: Mapped[str] = mapped_column(String(80), default="")
    last_error: Mapped[str] = mapped_column(String(300), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ContactCount(Base):
    """Marketing messages a customer got on a channel in one period (``d2026-12-02`` / ``w2026-W49``)."""

    __tablename__ = "contact_counts"
    __table_args__ = (
        UniqueConstraint("shop_id", "customer_id", "channel", "period"),
        CheckConstraint("sent >= 0", name="sent_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    period: Mapped[str] = mapped_column(String(12))
    sent: Mapped[int] = mapped_column(Integer, default=0)


class SinkMessage(Base):
    """What the local sink 'sent': the default provider, so Siyu runs with no outside account."""

    __tablename__ = "sink_messages"
    __table_args__ = (UniqueConstraint("shop_id", "client_ref"), Index("ix_sink_messages_shop_at", "shop_id", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    client_ref: Mapped[str] = mapped_column(String(40))
    to_masked: Mapped[str] = mapped_column(String(40), default="")
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InboundReply(Base):
    """A reply received through a provider's inbound hook; opt-out words withdraw consent at once."""

    __tablename__ = "inbound_replies"
    __table_args__ = (Index("ix_inbound_replies_shop_at", "shop_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), nullable=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), nullable=True)
    phone_masked: Mapped[str] = mapped_column(String(40), default="")
    text: Mapped[str] = mapped_column(String(500))
    opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
