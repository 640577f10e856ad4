"""Milestone rules (SPEC §7): when a group reaches N members it announces it to everyone and, for a
red-packet milestone, starts a red-packet rain — once, at the join that reaches N, and never failing that
join."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.core.errors import InvalidInput
from siyu.groups import activities, joining, milestones, services
from siyu.groups.activities import ActivitySpec
from siyu.groups.errors import NotGroupAdmin
from siyu.groups.joining import JoinRequest
from siyu.groups.milestones import MilestoneSpec
from siyu.groups.models import GroupActivity, GroupMilestone, GroupPost
from siyu.shops.services import principal_for_staff
from tests.factories.groups import buyer, buyers, joined, make_group
from tests.factories.shops import ShopWorld, make_shop, make_sub_account

NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)


@pytest.fixture
def world(db: Session) -> ShopWorld:
    return make_shop(db)


def announcements(db: Session, group_id: int) -> list[GroupPost]:
    return list(db.scalars(select(GroupPost).where(GroupPost.group_id == group_id, GroupPost.kind == "essential")))


def test_a_group_reaching_n_members_announces_it_to_everyone_once(db: Session, world: ShopWorld) -> None:
    group = make_group(db, world.principal.actor, sub_groups=2, capacity=3)
    by = world.principal.actor
    milestones.add_milestone(db, by=by, group_id=group.id, spec=MilestoneSpec(4, "群满 4 人啦，今晚抽奖！"))
    first = joined(db, group, 3)
    assert not announcements(db, group.id)
    joined(db, group, 1)
    (post,) = announcements(db, group.id)
    assert post.at_all and post.text == "群满 4 人啦，今晚抽奖！" and post.title == "群人数达到 4 人"
    (milestone,) = milestones.list_milestones(db, shop_id=world.shop.id, group_id=group.id)
    assert milestone.reached_at is not None and "已发布群公告" in milestone.outcome

    # dropping below and reaching it again does not fire it twice
    services.leave_group(db, by=buyer(world.shop.id), group_id=group.id, customer_id=first[0].id)
    joined(db, group, 1)
    assert len(announcements(db, group.id)) == 1


def test_a_red_packet_milestone_starts_a_rain_of_its_budget(db: Session, world: ShopWorld) -> None:
    group = make_group(db, world.principal.actor, sub_groups=1, capacity=10)
    spec = MilestoneSpec(2, "满 2 人发 2 元红包", action="red_packet", budget_fen=200, packets=4)
    milestones.add_milestone(db, by=world.principal.actor, group_id=group.id, spec=spec)
    a, b = buyers(db, world.shop.id, 2)
    outcomes = joining.join_many(
        db, [JoinRequest(buyer(world.shop.id, c.id), group.id, c.id, NOW) for c in (a, b)]
    )  # both in one batch: the batch's total reaches 2
    assert all(isinstance(o, joining.Seat) for o in outcomes)
    (milestone,) = milestones.list_milestones(db, shop_id=world.shop.id, group_id=group.id)
    rain = db.get(GroupActivity, milestone.activity_id)
    assert rain is not None and rain.kind == "red_packet" and rain.budget_fen == 200 and rain.packets == 4
    assert rain.starts_at == NOW and rain.ends_at == NOW + timedelta(hours=1)
    assert "红包雨已开始：¥2.00，4 个红包" in milestone.outcome
    assert len(announcements(db, group.id)) == 1


def test_a_rain_the_group_has_no_room_for_is_reported_and_the_join_still_succeeds(
    db: Session, world: ShopWorld
) -> None:
    group = make_group(db, world.principal.actor, sub_groups=1, capacity=10)
    by = world.principal.actor
    for n in range(3):
        activities.create_activity(
            db,
            by=by,
            group_id=group.id,
            spec=ActivitySpec(
                kind="red_packet",
                name=f"已有红包雨{n}",
                starts_at=datetime.now(UTC) - timedelta(minutes=5),
                ends_at=datetime.now(UTC) + timedelta(hours=5),
                budget_fen=100,
                packets=2,
            ),
        )
    spec = MilestoneSpec(1, "第一位成员！", action="red_packet", budget_fen=100, packets=1)
    milestones.add_milestone(db, by=by, group_id=group.id, spec=spec)
    (member,) = joined(db, group, 1)
    assert db.scalar(select(GroupMilestone.activity_id)) is None
    outcome = db.scalar(select(GroupMilestone.outcome))
    assert outcome is not None and "红包雨未开始" in outcome and "最多进行 3 个活动" in outcome
    assert len(announcements(db, group.id)) == 1
    assert services.active_membership(db, group.id, member.id).status == "active"


def test_milestones_the_group_can_never_reach_or_has_passed_are_refused(db: Session, world: ShopWorld) -> None:
    group = make_group(db, world.principal.actor, sub_groups=2, capacity=5)
    by = world.principal.actor
    joined(db, group, 3)
    for members, code in (
        (11, "group_milestone_members"),
        (3, "group_milestone_members"),
        (0, "group_milestone_members"),
    ):
        with pytest.raises(InvalidInput) as refused:
            milestones.add_milestone(db, by=by, group_id=group.id, spec=MilestoneSpec(members, "公告"))
        assert refused.value.code == code and refused.value.zh and refused.value.en
    bad_rain = MilestoneSpec(5, "红包", action="red_packet", budget_fen=1, packets=2)
    with pytest.raises(InvalidInput):
        milestones.add_milestone(db, by=by, group_id=group.id, spec=bad_rain)
    with pytest.raises(InvalidInput) as empty:
        milestones.add_milestone(db, by=by, group_id=group.id, spec=MilestoneSpec(5, "  "))
    assert empty.value.code == "group_milestone_text"
    milestones.add_milestone(db, by=by, group_id=group.id, spec=MilestoneSpec(5, "五人"))
    with pytest.raises(InvalidInput) as twice:
        milestones.add_milestone(db, by=by, group_id=group.id, spec=MilestoneSpec(5, "又五人"))
    assert twice.value.code == "group_milestone_dup"
    assert not db.scalars(select(GroupMilestone).where(GroupMilestone.members != 5)).all()


def test_only_the_owner_sets_milestones_and_a_reached_one_stays(db: Session, world: ShopWorld) -> None:
    group = make_group(db, world.principal.actor, sub_groups=1, capacity=5)
    clerk = principal_for_staff(make_sub_account(db, world, permissions=["groups:view"]))
    with pytest.raises(NotGroupAdmin):
        milestones.add_milestone(db, by=clerk.actor, group_id=group.id, spec=MilestoneSpec(2, "两人"))
    pending = milestones.add_milestone(db, by=world.principal.actor, group_id=group.id, spec=MilestoneSpec(3, "三人"))
    reached = milestones.add_milestone(db, by=world.principal.actor, group_id=group.id, spec=MilestoneSpec(1, "一人"))
    joined(db, group, 1)
    with pytest.raises(InvalidInput) as kept:
        milestones.remove_milestone(db, by=world.principal.actor, milestone_id=reached.id)
    assert kept.value.code == "group_milestone_reached"
    milestones.remove_milestone(db, by=world.principal.actor, milestone_id=pending.id)
    assert [m.members for m in milestones.list_milestones(db, shop_id=world.shop.id, group_id=group.id)] == [1]
