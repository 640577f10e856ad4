"""Tables of the groups area: group chats (群组) and their sub-groups (子群), members and their history,
posts and moderation rules, the content calendar, group activities (flash sales, red-packet rain, group
coupons, guess the price), daily check-in and growth value.

The database backs the invariants the services keep under concurrency:
- a sub-group never holds more than its capacity (CHECK member_count <= capacity; joins take a seat
  with one conditional UPDATE);
- a buyer has one membership row per group (UNIQUE group+customer); a kick sets it to ``kicked`` for
  good and a join only ever turns ``left`` into ``active``, so a kicked buyer cannot come back;
- flash-sale stock never goes below zero (CHECK sold <= stock), one unit per buyer per SKU (UNIQUE);
- red packets are split when the round opens and each is taken at most once, one per buyer per round
  (UNIQUE activity+round+customer), so the sum paid can never exceed the budget;
- one check-in per buyer per group per day, one guess per buyer per activity (UNIQUE).
"""

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

GOALS = ("new", "fans", "members", "high_value")
ACTIVITY_KINDS = ("coupon", "red_packet", "flash_sale", "guess")


class Group(Base):
    """A group chat (群组) with its goal, entry threshold and the one public entry code."""

    __tablename__ = "chat_groups"
    __table_args__ = (
        UniqueConstraint("code"),
        Index("ix_chat_groups_shop", "shop_id", "position"),
        CheckConstraint("goal IN ('new', 'fans', 'members', 'high_value')", name="goal"),
        CheckConstraint("min_spend_fen >= 0", name="min_spend"),
        CheckConstraint("status IN ('active', 'closed')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=1)
    code: Mapped[str] = mapped_column(String(16))  # the entry link /m/{shop}/g/{code} and its QR code
    name: Mapped[str] = mapped_column(String(60))
    goal: Mapped[str] = mapped_column(String(12), default="new")
    min_spend_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # high-value groups only
    group_type: Mapped[str] = mapped_column(String(12), default="welfare")  # operating plan type (SPEC §7)
    description: Mapped[str] = mapped_column(String(300), default="")
    allowed_hosts: Mapped[list[str]] = mapped_column(JSON, default=list)  # links members may post
    status: Mapped[str] = mapped_column(String(8), default="active")
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SubGroup(Base):
    """One of a group's sub-groups (子群): joins fill them in ``position`` order."""

    __tablename__ = "chat_sub_groups"
    __table_args__ = (
        UniqueConstraint("group_id", "position"),
        CheckConstraint("member_count >= 0 AND member_count <= capacity", name="capacity"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_groups.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    capacity: Mapped[int] = mapped_column(Integer, default=1000)
    member_count: Mapped[int] = mapped_column(Integer, default=0)


class SubGroupAdmin(Base):
    """A staff account that administers one sub-group (the shop's main account owns every group)."""

    __tablename__ = "chat_sub_group_admins"
    __table_args__ = (UniqueConstraint("sub_group_id", "staff_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    sub_group_id: Mapped[int] = mapped_column(ForeignKey("chat_sub_groups.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))


class GroupMember(Base):
    """A buyer's membership of a group: one row per group and buyer, for ever (kicked stays kicked)."""

    __tablename__ = "chat_group_members"
    __table_args__ = (
        UniqueConstraint("group_id", "customer_id"),
        Index("ix_chat_group_members_sub", "sub_group_id", "status"),
        CheckConstraint("status IN ('active', 'left', 'kicked')", name="status"),
        CheckConstraint("(status = 'active') = (sub_group_id IS NOT NULL)", name="seat"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_groups.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    sub_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_sub_groups.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(8), default="active")
    is_kol: Mapped[bool] = mapped_column(Boolean, default=False)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    kicked_by: Mapped[str] = mapped_column(String(120), default="")
    last_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class GroupMemberEvent(Base):
    """Each join, leave and kick, for the group's joins / leaves over time."""

    __tablename__ = "chat_group_member_events"
    __table_args__ = (
        Index("ix_chat_group_member_events_group_at", "group_id", "at"),
        CheckConstraint("kind IN ('join', 'leave', 'kick')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_groups.id", ondelete="CASCADE"))
    sub_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_sub_groups.id", ondelete="SET NULL"), nullable=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(6))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GroupPost(Base):
    """A message in a group: a member's post, a staff answer, or a pinned essential / FAQ / note / rule."""

    __tablename__ = "chat_group_posts"
    __table_args__ = (
        Index("ix_chat_group_posts_group", "group_id", "id"),
        CheckConstraint("kind IN ('message', 'essential', 'faq', 'note', 'rule')", name="kind"),
        CheckConstraint("author_kind IN ('customer', 'staff', 'system')", name="author_kind"),
        CheckConstraint("status IN ('visible', 'removed')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_groups.id", ondelete="CASCADE"))
    sub_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_sub_groups.id", ondelete="CASCADE"), nullable=True
    )  # None: every sub-group of the group
    kind: Mapped[str] = mapped_column(String(10), default="message")
    author_kind: Mapped[str] = mapped_column(String(8), default="customer")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), nullable=True)
    staff_name: Mapped[str] = mapped_column(String(120), default="")
    title: Mapped[str] = mapped_column(String(60), default="")
    text: Mapped[str] = mapped_column(Text)
    at_all: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(8), default="visible")
    removed_reason: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ModerationRule(Base):
    """A rule members' posts are checked against (keywords, outside links, ads) and what breaking it costs."""

    __tablename__ = "chat_moderation_rules"
    __table_args__ = (
        CheckConstraint("kind IN ('keyword', 'link', 'ad')", name="kind"),
        CheckConstraint("action IN ('warn', 'remove', 'kick')", name="action"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    pattern: Mapped[str] = mapped_column(String(60), default="")
    action: Mapped[str] = mapped_column(String(8), default="remove")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GroupPlan(Base):
    """A group's operating plan: its weekday themes and daily time slots (the content calendar)."""

    __tablename__ = "chat_group_plans"
    __table_args__ = (UniqueConstraint("group_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_groups.id", ondelete="CASCADE"))
    weekday_themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    slots: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ScheduledPost(Base):
    """A post the worker publishes into the group at ``publish_at`` (UTC), once."""

    __tablename__ = "chat_scheduled_posts"
    __table_args__ = (
        Index("ix_chat_scheduled_posts_due", "status", "publish_at"),
        CheckConstraint("status IN ('scheduled', 'published', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_groups.id", ondelete="CASCADE"))
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime())
    slot: Mapped[str] = mapped_column(String(20), default="")
    theme: Mapped[str] = mapped_column(String(40), default="")
    kind: Mapped[str] = mapped_column(String(20), default="slot")  # slot | themed_activity | lottery | custom
    text: Mapped[str] = mapped_column(Text, default="")
    at_all: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    post_id: Mapped[int | None] = mapped_column(ForeignKey("chat_group_posts.id", ondelete="SET NULL"), nullable=True)


class GroupActivity(Base):
    """A group activity: at most three run in one group at the same time (SPEC §8)."""

    __tablename__ = "chat_group_activities"
    __table_args__ = (
        Index("ix_chat_group_activities_group", "group_id", "starts_at"),
        CheckConstraint("kind IN ('coupon', 'red_packet', 'flash_sale', 'guess')", name="kind"),
        CheckConstraint("status IN ('active', 'cancelled')", name="status"),
        CheckConstraint("ends_at > starts_at", name="window"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_groups.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(60))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10), default="active")
    coupon_template_id: Mapped[int | None] = mapped_column(
        ForeignKey("coupon_templates.id", ondelete="SET NULL"), nullable=True
    )
    budget_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # red-packet rain: per round
    packets: Mapped[int] = mapped_column(Integer, default=0)  # red-packet rain: per round
    rounds: Mapped[int] = mapped_column(Integer, default=0)  # red-packet rain: rounds opened so far
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # guess: sku, name, price_fen, …
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FlashSaleItem(Base):
    """A SKU of a flash sale (限时抢购) at its group-only price, with stock that is never oversold."""

    __tablename__ = "chat_flash_sale_items"
    __table_args__ = (
        UniqueConstraint("activity_id", "sku"),
        CheckConstraint("sold >= 0 AND sold <= stock", name="stock"),
        CheckConstraint("price_fen >= 1 AND price_fen <= list_price_fen", name="price"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("chat_group_activities.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120), default="")
    category: Mapped[str] = mapped_column(String(100), default="")
    list_price_fen: Mapped[int] = mapped_column(BigInteger)
    price_fen: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(Integer)
    sold: Mapped[int] = mapped_column(Integer, default=0)


class FlashSaleOrder(Base):
    """A unit of a flash-sale SKU taken by a group member (one per member per SKU)."""

    __tablename__ = "chat_flash_sale_orders"
    __table_args__ = (UniqueConstraint("item_id", "customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("chat_group_activities.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("chat_flash_sale_items.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RedPacket(Base):
    """One packet of a red-packet rain round, split when the round opens; taken at most once."""

    __tablename__ = "chat_red_packets"
    __table_args__ = (
        UniqueConstraint("activity_id", "round", "seq"),
        UniqueConstraint("activity_id", "round", "customer_id"),
        Index("ix_chat_red_packets_open", "activity_id", "round", "grabbed_at"),
        CheckConstraint("amount_fen >= 1", name="amount"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("chat_group_activities.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), nullable=True)
    grabbed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ActivityEntry(Base):
    """A member's part in an activity that leaves no other row: a guess, a group coupon claimed."""

    __tablename__ = "chat_activity_entries"
    __table_args__ = (UniqueConstraint("activity_id", "customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("chat_group_activities.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    guess_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    correct: Mapped[bool] = mapped_column(Boolean, default=False)
    points: Mapped[int] = mapped_column(Integer, default=0)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id", ondelete="SET NULL"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GroupCheckin(Base):
    """A daily check-in (签到) of a member in a group, with the streak it made and what it earned."""

    __tablename__ = "chat_group_checkins"
    __table_args__ = (UniqueConstraint("group_id", "customer_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_groups.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)  # shop-local day
    streak: Mapped[int] = mapped_column(Integer, default=1)
    points: Mapped[int] = mapped_column(Integer, default=0)
    growth: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GrowthAccount(Base):
    """A buyer's growth value (成长值) in the shop's groups: the running total of their growth events."""

    __tablename__ = "chat_growth_accounts"
    __table_args__ = (UniqueConstraint("shop_id", "customer_id"), CheckConstraint("growth >= 0", name="growth"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    growth: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GrowthEvent(Base):
    """One gain of growth value, keyed so that the same check-in or activity never counts twice."""

    __tablename__ = "chat_growth_events"
    __table_args__ = (UniqueConstraint("shop_id", "ref"), Index("ix_chat_growth_events_customer", "customer_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("chat_groups.id", ondelete="SET NULL"), nullable=True)
    ref: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(20))  # checkin | activity
    amount: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GrowthLevelRow(Base):
    """A growth level the shop defines (name, the growth it starts at, its benefits)."""

    __tablename__ = "chat_growth_levels"
    __table_args__ = (UniqueConstraint("shop_id", "position"), CheckConstraint("min_growth >= 0", name="min_growth"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(30))
    min_growth: Mapped[int] = mapped_column(Integer)
    benefits: Mapped[str] = mapped_column(String(300), default="")


class PriceFloor(Base):
    """The lowest group price the merchant allows, as a share of list price: for the shop (category "")
    or one category."""

    __tablename__ = "chat_price_floors"
    __table_args__ = (
        UniqueConstraint("shop_id", "category"),
        CheckConstraint("min_discount_pct BETWEEN 1 AND 100", name="pct"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(100), default="")
    min_discount_pct: Mapped[int] = mapped_column(Integer)


class GroupMilestone(Base):
    """A milestone rule (SPEC §7): when the group reaches ``members`` members, announce it to everyone
    (@all) and, for a red-packet milestone, start a red-packet rain. Fires once, at the join that reaches
    it; ``outcome`` says what it did."""

    __tablename__ = "chat_group_milestones"
    __table_args__ = (
        UniqueConstraint("group_id", "members"),
        CheckConstraint("members >= 1", name="members"),
        CheckConstraint("action IN ('post', 'red_packet')", name="action"),
        CheckConstraint("budget_fen >= 0 AND packets >= 0", name="packet"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_groups.id", ondelete="CASCADE"))
    members: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(12), default="post")
    text: Mapped[str] = mapped_column(String(200))
    budget_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    packets: Mapped[int] = mapped_column(Integer, default=0)
    reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_group_activities.id", ondelete="SET NULL"), nullable=True
    )
    outcome: Mapped[str] = mapped_column(String(400), default="")
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GroupCard(Base):
    """A daily operation card (SPEC §7) posted into a group: a new arrival, a product recommendation, or a
    marketing poster (an image of the product, its price and the group's QR code). Its chat message is
    ``post_id``; the card adds the product."""

    __tablename__ = "chat_group_cards"
    __table_args__ = (
        CheckConstraint("kind IN ('new_arrival', 'recommend', 'poster')", name="kind"),
        CheckConstraint("price_fen >= 1 AND list_price_fen >= 0", name="price"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_groups.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("chat_group_posts.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    sku: Mapped[str] = mapped_column(String(40), default="")
    name: Mapped[str] = mapped_column(String(60))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    list_price_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # 0: no list price shown
    image_url: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
