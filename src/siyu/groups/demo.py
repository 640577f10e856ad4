"""The demo shop's group chats: a welfare group (拉新) and a members' group (拉会员) with members, chat,
essentials, rules, a running flash sale and red-packet rain, check-ins and this month's content calendar,
so `make run` shows the group pages and the buyer's H5 page with real figures."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor
from siyu.customers.models import Customer
from siyu.db import transaction, utcnow
from siyu.groups import activities, cards, growth, joining, milestones, plans, services
from siyu.shops.models import Staff
from siyu.shops.services import shop_zone

CHAT = (
    "这款面霜敏感肌能用吗？",
    "昨天买的已经到了，包装很好",
    "今晚 20:00 的秒杀还有吗",
    "签到第 5 天啦",
    "618 有什么活动呀",
    "求推荐适合冬天的保湿产品",
)


@dataclass(frozen=True, slots=True)
class DemoGroups:
    groups: int
    members: int


def seed_demo_groups(
    factory: sessionmaker[Session], *, shop_id: int, seed: int = 7, now: datetime | None = None
) -> DemoGroups:
    """Create the demo groups once (nothing when the shop already has groups)."""
    now = now or utcnow()
    rng = random.Random(seed)
    with transaction(factory, write=True) as session:
        if services.list_groups(session, shop_id=shop_id):
            return DemoGroups(0, 0)
        main = session.scalar(select(Staff).where(Staff.shop_id == shop_id, Staff.is_main.is_(True)))
        by = (
            Actor(shop_id, "staff", main.id, main.username)
            if main is not None
            else Actor(shop_id, "system", None, "demo")
        )
        welfare = services.create_group(
            session,
            by=by,
            spec=services.GroupSpec(
                "演示福利群", goal="new", group_type="welfare", description="每天 20:00 限时抢购，群专享价"
            ),
        )
        members_group = services.create_group(
            session,
            by=by,
            spec=services.GroupSpec(
                "会员专享群", goal="members", group_type="service", description="会员福利与专属客服"
            ),
        )
        customers = list(
            session.scalars(select(Customer).where(Customer.shop_id == shop_id).order_by(Customer.id).limit(600))
        )
        chosen = [c for c in customers if not c.high_risk and not c.merchant_account and rng.random() < 0.5]
        joined = 0
        for customer in chosen:
            joining.join_group(
                session,
                by=by,
                group_id=welfare.id,
                customer_id=customer.id,
                now=now - timedelta(days=rng.randint(0, 29)),
            )
            joined += 1
            if customer.is_member and rng.random() < 0.6:
                joining.join_group(session, by=by, group_id=members_group.id, customer_id=customer.id, now=now)
                joined += 1
        services.publish_post(
            session,
            by=by,
            group_id=welfare.id,
            kind="essential",
            title="本周福利",
            text="周五 20:00 全场限时抢购，群成员专享价，@所有人 记得定闹钟！",
            at_all=True,
        )
        services.publish_post(
            session,
            by=by,
            group_id=welfare.id,
            kind="faq",
            title="怎么领群优惠券？",
            text="点击群内活动卡片的「领取」即可，领取后在京东 App「我的优惠券」查看。",
        )
        services.publish_post(
            session, by=by, group_id=welfare.id, kind="note", text="每天 20:00 限时抢购；每天签到领成长值。"
        )
        services.publish_post(
            session, by=by, group_id=welfare.id, kind="rule", text="禁止发广告、外链和与本群无关的内容，违者移出群聊。"
        )
        members_now = sum(sub.member_count for sub in services.sub_groups_of(session, welfare.id))
        milestones.add_milestone(
            session,
            by=by,
            group_id=welfare.id,
            spec=milestones.MilestoneSpec(
                (members_now // 100 + 1) * 100,
                "群人数破百啦！感谢大家，红包雨现在开始",
                action="red_packet",
                budget_fen=10_000,
                packets=50,
            ),
        )
        cards.publish_card(
            session,
            by=by,
            group_id=welfare.id,
            spec=cards.CardSpec("new_arrival", "保湿面霜 50ml", 12_900, 19_900, "100012", text="新品首发，群专享价"),
        )
        cards.publish_card(
            session,
            by=by,
            group_id=welfare.id,
            spec=cards.CardSpec("poster", "氨基酸洗面奶", 5_900, 8_900, "100027", text="今晚 20:00 开抢"),
        )
        services.add_rule(session, by=by, kind="ad", action="remove")
        services.add_rule(session, by=by, kind="link", action="warn")
        for customer in chosen[:12]:
            services.post_message(
                session,
                by=by,
                group_id=welfare.id,
                customer_id=customer.id,
                text=rng.choice(CHAT),
                now=now - timedelta(minutes=rng.randint(1, 600)),
            )
        for customer in chosen[:40]:
            growth.check_in(session, by=by, group_id=welfare.id, customer_id=customer.id, now=now)
        zone = shop_zone(session, shop_id)
        local = now.astimezone(zone)
        tonight = local.replace(hour=20, minute=0, second=0, microsecond=0)
        start = min(tonight, local - timedelta(hours=1))
        activities.create_activity(
            session,
            by=by,
            group_id=welfare.id,
            spec=activities.ActivitySpec(
                "flash_sale",
                "今晚限时抢购",
                start,
                start + timedelta(hours=6),
                items=(
                    activities.FlashItemSpec("100012", "保湿面霜 50ml", 19_900, 12_900, 50, "美妆"),
                    activities.FlashItemSpec("100027", "氨基酸洗面奶", 8_900, 5_900, 80, "美妆"),
                ),
            ),
        )
        activities.create_activity(
            session,
            by=by,
            group_id=welfare.id,
            spec=activities.ActivitySpec(
                "red_packet", "红包雨", start, start + timedelta(hours=6), budget_fen=20_000, packets=50, rounds=3
            ),
        )
        plans.schedule_month(session, by=by, group_id=welfare.id, year=local.year, month=local.month, now=now)
    return DemoGroups(2, joined)
