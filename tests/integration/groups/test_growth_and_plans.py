"""Check-in, growth value and levels, operating plans published by the worker step, and group data
(SPEC §7–8), with a database."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor
from siyu.core.errors import InvalidInput
from siyu.db import transaction
from siyu.groups import domain, growth, joining, plans, queries, services
from siyu.groups.errors import AlreadyTaken, NotAGroupMember
from siyu.groups.models import GroupPost, ScheduledPost
from siyu.worker.runner import Runner
from tests.factories.customers import make_order
from tests.factories.groups import buyer, joined, make_group
from tests.factories.loyalty import make_member, make_program
from tests.factories.shops import ShopWorld, make_shop

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 shop time


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db)


def owner(world: ShopWorld) -> Actor:
    return world.principal.actor


def test_check_in_once_a_day_with_a_streak_that_earns_growth(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    member = joined(db, group, 1)[0]
    by = buyer(world.shop.id)
    results = [
        growth.check_in(db, by=by, group_id=group.id, customer_id=member.id, now=NOW + timedelta(days=d))
        for d in range(7)
    ]
    assert [r.streak for r in results] == [1, 2, 3, 4, 5, 6, 7]
    assert results[-1].growth == 2 * domain.CHECKIN_GROWTH  # the 7th day doubles
    with pytest.raises(AlreadyTaken):
        growth.check_in(db, by=by, group_id=group.id, customer_id=member.id, now=NOW + timedelta(days=6, hours=5))
    after_gap = growth.check_in(db, by=by, group_id=group.id, customer_id=member.id, now=NOW + timedelta(days=9))
    assert after_gap.streak == 1
    standing = growth.standing_of(db, shop_id=world.shop.id, customer_id=member.id)
    assert standing.growth == 8 * domain.CHECKIN_GROWTH + domain.CHECKIN_GROWTH
    assert growth.checkin_calendar(
        db, group_id=group.id, customer_id=member.id, today=(NOW + timedelta(days=9)).date()
    ) == [
        True,
        True,
        True,
        True,
        False,
        False,
        True,
    ]


def test_the_shop_day_decides_when_a_new_check_in_opens(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    member = joined(db, group, 1)[0]
    by = buyer(world.shop.id)
    late = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
    growth.check_in(db, by=by, group_id=group.id, customer_id=member.id, now=late)
    next_day = growth.check_in(db, by=by, group_id=group.id, customer_id=member.id, now=late + timedelta(hours=1))
    assert next_day.streak == 2  # 00:30 the next shop day


def test_only_members_check_in_and_card_members_also_earn_points(db: Session, world: ShopWorld) -> None:
    make_program(db, owner(world))
    group = make_group(db, owner(world))
    card = make_member(db, owner(world))
    joining.join_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=card.customer_id)
    result = growth.check_in(db, by=buyer(world.shop.id), group_id=group.id, customer_id=card.customer_id, now=NOW)
    assert result.points > 0
    stranger = joined(db, make_group(db, owner(world), name="别的群"), 1)[0]
    with pytest.raises(NotAGroupMember):
        growth.check_in(db, by=buyer(world.shop.id), group_id=group.id, customer_id=stranger.id, now=NOW)


def test_growth_levels_are_the_shops_own(db: Session, world: ShopWorld) -> None:
    assert [lv.name for lv in growth.levels_of(db, world.shop.id)] == [lv.name for lv in growth.DEFAULT_LEVELS]
    growth.save_levels(
        db,
        by=owner(world),
        levels=[
            domain.GrowthLevel("青铜", 0, "入群券"),
            domain.GrowthLevel("白银", 50, "9折券"),
            domain.GrowthLevel("黄金", 200, "新品试用"),
        ],
    )
    with pytest.raises(InvalidInput):
        growth.save_levels(db, by=owner(world), levels=[domain.GrowthLevel("从十开始", 10)])
    group = make_group(db, owner(world))
    member = joined(db, group, 1)[0]
    growth.add_growth(
        db, shop_id=world.shop.id, customer_id=member.id, group_id=group.id, ref="t1", source="activity", amount=60
    )
    assert not growth.add_growth(
        db, shop_id=world.shop.id, customer_id=member.id, group_id=group.id, ref="t1", source="activity", amount=60
    )
    standing = growth.standing_of(db, shop_id=world.shop.id, customer_id=member.id)
    assert (standing.growth, standing.level.name, standing.next_level.name if standing.next_level else None) == (
        60,
        "白银",
        "黄金",
    )


def test_a_month_plan_schedules_posts_in_shop_time_and_replanning_replaces_them(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    count = plans.schedule_month(db, by=owner(world), group_id=group.id, year=2027, month=2, now=NOW)
    assert count == 28 * 4 + 3 + 2
    first = plans.upcoming(db, group_id=group.id)[0]
    assert first.publish_at == datetime(2027, 2, 1, 0, 30, tzinfo=UTC)  # 08:30 in Beijing
    assert first.theme == "game"  # 2027-02-01 is a Monday
    again = plans.schedule_month(
        db, by=owner(world), group_id=group.id, year=2027, month=2, themed_days=[], lottery_days=[], now=NOW
    )
    assert again == 28 * 4
    assert db.scalar(select(func.count()).select_from(ScheduledPost)) == 28 * 4


def test_a_plan_refuses_bad_slots_and_themes(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world))
    with pytest.raises(InvalidInput):
        plans.save_plan(db, by=owner(world), group_id=group.id, weekday_themes=["game"] * 6, slots=["08:30-09:30"])
    with pytest.raises(InvalidInput):
        plans.save_plan(db, by=owner(world), group_id=group.id, weekday_themes=["game"] * 7, slots=["25:00"])
    saved = plans.save_plan(
        db, by=owner(world), group_id=group.id, weekday_themes=["新品周一"] + ["game"] * 6, slots=["09:00", "21:00"]
    )
    assert plans.plan_of(db, group_id=group.id) == saved


def test_the_worker_publishes_due_posts_once(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions, write=True) as session:
        world = make_shop(session)
        group = make_group(session, world.principal.actor)
        plans.schedule_month(session, by=world.principal.actor, group_id=group.id, year=2027, month=3, now=NOW)
        group_id = group.id
    due = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # 16:00 shop time: the 08:30 and 15:00 slots are due
    assert plans.publish_due(sessions, now=due) == 2
    assert plans.publish_due(sessions, now=due) == 0
    with transaction(sessions) as session:
        posts = session.scalars(select(GroupPost).where(GroupPost.group_id == group_id).order_by(GroupPost.id)).all()
        assert [p.author_kind for p in posts] == ["system", "system"]
        assert posts[0].text.startswith("【游戏互动】")


def test_group_data_counts_members_joins_activity_and_gmv_since_joining(db: Session, world: ShopWorld) -> None:
    group = make_group(db, owner(world), sub_groups=2, capacity=2)
    first, second, third = joined(db, group, 3)
    make_order(db, first, paid_fen=12_345, at=datetime.now(UTC) + timedelta(minutes=1))
    make_order(db, second, paid_fen=99_999, at=datetime.now(UTC) - timedelta(days=30))  # before joining
    services.post_message(db, by=buyer(world.shop.id), group_id=group.id, customer_id=third.id, text="大家好")
    services.leave_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=second.id)
    found = queries.group_data(db, group=group, zone=ZoneInfo("Asia/Shanghai"))
    assert (found.members, found.capacity, found.joins, found.leaves) == (2, 4, 3, 1)
    assert (found.orders, found.gmv_fen, found.buyers) == (1, 12_345, 1)
    assert found.active == 1
    assert [(s.position, s.members) for s in found.sub_groups] == [(1, 1), (2, 1)]
    assert sum(found.joins_per_day) == 3 and len(found.days) == 30


def test_siyu_worker_publishes_the_content_calendar_on_time(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions, write=True) as session:
        world = make_shop(session)
        group = make_group(session, world.principal.actor)
        past = datetime.now(UTC) - timedelta(minutes=1)
        session.add(
            ScheduledPost(shop_id=world.shop.id, group_id=group.id, publish_at=past, kind="custom", text="早安！")
        )
        session.add(
            ScheduledPost(
                shop_id=world.shop.id,
                group_id=group.id,
                publish_at=past + timedelta(days=1),
                kind="custom",
                text="明天",
            )
        )
        group_id = group.id
    Runner(sessions).run(threading.Event(), once=True)
    with transaction(sessions) as session:
        texts = session.scalars(select(GroupPost.text).where(GroupPost.group_id == group_id)).all()
        statuses = session.scalars(select(ScheduledPost.status).order_by(ScheduledPost.id)).all()
    assert texts == ["早安！"] and statuses == ["published", "scheduled"]
