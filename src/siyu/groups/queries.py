"""Read side of the groups area: members and their search, group data (members, joins and leaves over
time, active members, activity participation, orders and GMV from members) per group and sub-group."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from siyu.customers.models import Customer, Order
from siyu.db import utcnow
from siyu.groups.models import (
    ActivityEntry,
    FlashSaleOrder,
    Group,
    GroupActivity,
    GroupCheckin,
    GroupMember,
    GroupMemberEvent,
    GroupPost,
    RedPacket,
    SubGroup,
)

ACTIVE_DAYS = 7
"""A member is active when they posted, checked in or took part in the last 7 days."""


@dataclass(frozen=True, slots=True)
class MemberRow:
    customer_id: int
    name: str
    account: str
    phone_masked: str
    sub_group: int | None
    status: str
    is_kol: bool
    warnings: int
    joined_at: datetime
    last_active_at: datetime | None


def members(
    session: Session,
    *,
    group_id: int,
    q: str = "",
    sub_group_id: int | None = None,
    status: str = "active",
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[MemberRow], int]:
    """A page of the group's members (active, left or kicked), searched by name, account or phone tail."""
    query = (
        select(GroupMember, Customer, SubGroup.position)
        .join(Customer, Customer.id == GroupMember.customer_id)
        .outerjoin(SubGroup, SubGroup.id == GroupMember.sub_group_id)
        .where(GroupMember.group_id == group_id)
    )
    if status:
        query = query.where(GroupMember.status == status)
    if sub_group_id is not None:
        query = query.where(GroupMember.sub_group_id == sub_group_id)
    text = q.strip()[:40]
    if text:
        query = query.where(
            or_(
                Customer.name.contains(text, autoescape=True),
                Customer.account.contains(text, autoescape=True),
                Customer.phone_tail == text[-4:],
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(GroupMember.joined_at.desc(), GroupMember.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return [
        MemberRow(
            customer_id=c.id,
            name=c.name,
            account=c.account,
            phone_masked=c.phone_masked,
            sub_group=position,
            status=m.status,
            is_kol=m.is_kol,
            warnings=m.warnings,
            joined_at=m.joined_at,
            last_active_at=m.last_active_at,
        )
        for m, c, position in rows
    ], int(total)


@dataclass
class SubGroupData:
    sub_group_id: int
    position: int
    name: str
    capacity: int
    members: int
    active: int = 0
    orders: int = 0
    gmv_fen: int = 0


@dataclass
class ActivityData:
    activity_id: int
    kind: str
    name: str
    starts_at: datetime
    ends_at: datetime
    status: str
    participants: int


@dataclass
class GroupData:
    group_id: int
    members: int
    capacity: int
    active: int
    joins: int
    leaves: int
    orders: int
    gmv_fen: int
    buyers: int
    days: list[str] = field(default_factory=list)
    joins_per_day: list[int] = field(default_factory=list)
    leaves_per_day: list[int] = field(default_factory=list)
    sub_groups: list[SubGroupData] = field(default_factory=list)
    activities: list[ActivityData] = field(default_factory=list)

    @property
    def conversion(self) -> float:
        return self.buyers / self.members if self.members else 0.0


def _participants(session: Session, activity: GroupActivity) -> int:
    source: Select[Any]
    if activity.kind == "flash_sale":
        source = select(FlashSaleOrder.customer_id).where(FlashSaleOrder.activity_id == activity.id)
    elif activity.kind == "red_packet":
        source = select(RedPacket.customer_id).where(
            RedPacket.activity_id == activity.id, RedPacket.customer_id.is_not(None)
        )
    else:
        source = select(ActivityEntry.customer_id).where(ActivityEntry.activity_id == activity.id)
    return int(session.scalar(select(func.count(func.distinct(source.subquery().c.customer_id)))) or 0)


def group_data(
    session: Session, *, group: Group, zone: ZoneInfo, days: int = 30, now: datetime | None = None
) -> GroupData:
    """Everything the group data page shows, over the last ``days`` shop-local days."""
    now = now or utcnow()
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    active_since = now - timedelta(days=ACTIVE_DAYS)
    subs = list(session.scalars(select(SubGroup).where(SubGroup.group_id == group.id).order_by(SubGroup.position)))
    per_sub = {s.id: SubGroupData(s.id, s.position, s.name, s.capacity, s.member_count) for s in subs}
    active_rows = session.execute(
        select(GroupMember.sub_group_id, func.count())
        .where(
            GroupMember.group_id == group.id,
            GroupMember.status == "active",
            or_(
                GroupMember.last_active_at >= active_since,
                GroupMember.customer_id.in_(
                    select(GroupCheckin.customer_id).where(
                        GroupCheckin.group_id == group.id, GroupCheckin.at >= active_since
                    )
                ),
                GroupMember.customer_id.in_(
                    select(GroupPost.customer_id).where(
                        GroupPost.group_id == group.id, GroupPost.created_at >= active_since
                    )
                ),
            ),
        )
        .group_by(GroupMember.sub_group_id)
    ).all()
    for sub_id, n in active_rows:
        if sub_id in per_sub:
            per_sub[sub_id].active = int(n)
    # orders of active members placed since they joined
    order_rows = session.execute(
        select(
            GroupMember.sub_group_id,
            func.count(Order.id),
            func.coalesce(func.sum(Order.paid_fen), 0),
            func.count(func.distinct(Order.customer_id)),
        )
        .join(Order, (Order.customer_id == GroupMember.customer_id) & (Order.shop_id == GroupMember.shop_id))
        .where(
            GroupMember.group_id == group.id,
            GroupMember.status == "active",
            Order.is_paid.is_(True),
            Order.ordered_at >= GroupMember.joined_at,
        )
        .group_by(GroupMember.sub_group_id)
    ).all()
    buyers = 0
    for sub_id, n, gmv, distinct in order_rows:
        buyers += int(distinct)
        if sub_id in per_sub:
            per_sub[sub_id].orders, per_sub[sub_id].gmv_fen = int(n), int(gmv)
    labels = [(first + timedelta(days=n)) for n in range(days)]
    joins = dict.fromkeys(labels, 0)
    leaves = dict.fromkeys(labels, 0)
    for kind, at in session.execute(
        select(GroupMemberEvent.kind, GroupMemberEvent.at).where(
            GroupMemberEvent.group_id == group.id, GroupMemberEvent.at >= since
        )
    ):
        day: date = at.astimezone(zone).date()
        target = joins if kind == "join" else leaves
        if day in target:
            target[day] += 1
    activities = [
        ActivityData(a.id, a.kind, a.name, a.starts_at, a.ends_at, a.status, _participants(session, a))
        for a in session.scalars(
            select(GroupActivity).where(GroupActivity.group_id == group.id).order_by(GroupActivity.starts_at.desc())
        )
    ]
    sub_list = list(per_sub.values())
    return GroupData(
        group_id=group.id,
        members=sum(s.members for s in sub_list),
        capacity=sum(s.capacity for s in sub_list),
        active=sum(s.active for s in sub_list),
        joins=sum(joins.values()),
        leaves=sum(leaves.values()),
        orders=sum(s.orders for s in sub_list),
        gmv_fen=sum(s.gmv_fen for s in sub_list),
        buyers=buyers,
        days=[d.isoformat() for d in labels],
        joins_per_day=[joins[d] for d in labels],
        leaves_per_day=[leaves[d] for d in labels],
        sub_groups=sub_list,
        activities=activities,
    )


def shop_overview(session: Session, *, shop_id: int) -> tuple[int, int, int]:
    """(groups, sub-groups, members) of the shop, against the limits of 10 / 100 / 100,000."""
    groups = session.scalar(select(func.count()).select_from(Group).where(Group.shop_id == shop_id)) or 0
    subs, fans = session.execute(
        select(func.count(), func.coalesce(func.sum(SubGroup.member_count), 0)).where(SubGroup.shop_id == shop_id)
    ).one()
    return int(groups), int(subs), int(fans)
