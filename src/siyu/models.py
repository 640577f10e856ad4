"""Every area's tables, imported so that metadata (and Alembic) sees all of them."""

from siyu.audit.models import AuditEntry
from siyu.campaigns.models import Campaign, CampaignRecipient, LinkClick, PlannedEvent
from siyu.channels.models import (
    ChannelSettings,
    Consent,
    ConsentEvent,
    ContactCount,
    InboundReply,
    OutboxMessage,
    SinkMessage,
)
from siyu.customers.models import (
    Customer,
    CustomerEvent,
    ImportJob,
    ImportProblem,
    Order,
    OrderLine,
    Product,
)
from siyu.loyalty.models import (
    BrandMemberHash,
    MallItem,
    MallRedemption,
    Member,
    MemberHashUpload,
    MemberProgram,
    MemberTier,
    PointsEntry,
    PointsLot,
)
from siyu.promotions.models import Coupon, CouponTemplate, FissionShare
from siyu.segments.models import Audience, AudienceMember, AudienceSnapshot, CustomerTag, SegmentSettings, Tag
from siyu.shops.models import ApiToken, Shop, Staff

__all__ = [
    "ApiToken",
    "Audience",
    "AudienceMember",
    "AudienceSnapshot",
    "AuditEntry",
    "BrandMemberHash",
    "Campaign",
    "CampaignRecipient",
    "ChannelSettings",
    "Consent",
    "ConsentEvent",
    "ContactCount",
    "Coupon",
    "CouponTemplate",
    "Customer",
    "CustomerEvent",
    "CustomerTag",
    "FissionShare",
    "ImportJob",
    "ImportProblem",
    "InboundReply",
    "LinkClick",
    "MallItem",
    "MallRedemption",
    "Member",
    "MemberHashUpload",
    "MemberProgram",
    "MemberTier",
    "Order",
    "OrderLine",
    "OutboxMessage",
    "PlannedEvent",
    "PointsEntry",
    "PointsLot",
    "Product",
    "SegmentSettings",
    "Shop",
    "SinkMessage",
    "Staff",
    "Tag",
]
