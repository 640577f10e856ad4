"""Milestone rules (SPEC §7, seed 000): when a group reaches N members, do something — announce it to
everyone (@all) and, for a red-packet milestone, start a red-packet rain ("群满 N 人发 N 元红包").

A milestone fires once, inside the join that reaches it (the join batch holds the group's sub-group
rows, so the member total it sees is exact and two joins cannot both fire it), on the authority of the
shop's main account. Whatever the action meets — a red-packet rain refused because three activities
already run — is written to the milestone's ``outcome`` and never fails the join: the announcement is
still posted and the merchant sees why the rain did not start.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu.audit.services import Actor, record
from siyu.core.errors import DomainError, InvalidInput, NotFound
from siyu.core.money import format_yuan
from siyu.db import shop_row, utcnow
from siyu.groups import domain
from siyu.groups.errors import NotGroupAdmin
from siyu.groups.models import GroupMilestone, SubGroup
from siyu.groups.services import get_group, may_manage, owner_actor, publish_post

ACTIONS = {
    "post": ("群公告（@所有人）", "announcement (@all)"),
    "red_packet": ("群公告 + 红包雨", "announcement + red-packet rain"),
}
MILESTONES_PER_GROUP = 10
TEXT_MAX = 200
OUTCOME_MAX = 400
RAIN_HOURS = 1
"""How long a milestone's red-packet rain runs."""


@dataclass(frozen=True, slots=True)
class MilestoneSpec:
    members: int
    text: str
    action: str = "post"
    budget_fen: int = 0
    packets: int = 0


def list_milestones(session: Session, *, shop_id: int, group_id: int) -> list[GroupMilestone]:
    get_group(session, shop_id=shop_id, group_id=group_id)
    return list(
        session.scalars(
            select(GroupMilestone).where(GroupMilestone.group_id == group_id).order_by(GroupMilestone.members)
        )
    )


def add_milestone(session: Session, *, by: Actor, group_id: int, spec: MilestoneSpec) -> GroupMilestone:
    """A new milestone of the group; refused when the group can never reach it, when the group has one
    for that number already or ten in all, and for a red packet the rain's own rules cannot split."""
    group = get_group(session, shop_id=by.shop_id, group_id=group_id, lock=True)
    if not may_manage(session, by, None):
        raise NotGroupAdmin()
    seats, members = session.execute(
        select(func.coalesce(func.sum(SubGroup.capacity), 0), func.coalesce(func.sum(SubGroup.member_count), 0)).where(
            SubGroup.group_id == group.id
        )
    ).one()
    if not members < spec.members <= seats:
        raise InvalidInput(
            f"人数须大于现有的 {members:,} 人、不超过群的 {seats:,} 个席位",
            f"the number must be above the {members:,} members the group has and at most its {seats:,} seats",
            code="group_milestone_members",
        )
    text = spec.text.strip()
    if not text or len(text) > TEXT_MAX:
        raise InvalidInput(
            f"公告内容不能为空，最多 {TEXT_MAX} 个字",
            f"the announcement is 1 to {TEXT_MAX} characters",
            code="group_milestone_text",
        )
    if spec.action not in ACTIONS:
        raise InvalidInput(
            f"未知的动作「{spec.action}」", f"unknown action '{spec.action}'", code="group_milestone_action"
        )
    if spec.action == "red_packet":
        domain.split_red_packets(spec.budget_fen, spec.packets, random.Random(0))  # the rain's own refusals
    existing = list_milestones(session, shop_id=by.shop_id, group_id=group.id)
    if any(m.members == spec.members for m in existing):
        raise InvalidInput(
            f"已有 {spec.members:,} 人的里程碑",
            f"there is a milestone at {spec.members:,} already",
            code="group_milestone_dup",
        )
    if len(existing) >= MILESTONES_PER_GROUP:
        raise InvalidInput(
            f"每个群最多 {MILESTONES_PER_GROUP} 个里程碑",
            f"at most {MILESTONES_PER_GROUP} milestones per group",
            code="group_milestone_limit",
        )
    milestone = GroupMilestone(
        shop_id=by.shop_id,
        group_id=group.id,
        members=spec.members,
        action=spec.action,
        text=text,
        budget_fen=spec.budget_fen if spec.action == "red_packet" else 0,
        packets=spec.packets if spec.action == "red_packet" else 0,
        created_by=by.label,
    )
    session.add(milestone)
    session.flush()
    record(
        session,
        by,
        "group.milestone.add",
        "group",
        group.id,
        after={"members": spec.members, "action": spec.action, "budget_fen": milestone.budget_fen},
    )
    return milestone


def remove_milestone(session: Session, *, by: Actor, milestone_id: int) -> None:
    """Delete a milestone not yet reached (a reached one stays, as the record of what it did)."""
    milestone = shop_row(session, GroupMilestone, milestone_id, by.shop_id, lock=True)
    if milestone is None:
        raise NotFound("里程碑", "milestone")
    if not may_manage(session, by, None):
        raise NotGroupAdmin()
    if milestone.reached_at is not None:
        raise InvalidInput(
            "已达成的里程碑不能删除", "a milestone already reached cannot be deleted", code="group_milestone_reached"
        )
    session.delete(milestone)
    record(session, by, "group.milestone.remove", "group", milestone.group_id, before={"members": milestone.members})
    session.flush()


def fire_reached(session: Session, *, shop_id: int, group_id: int, members: int, now: datetime | None = None) -> int:
    """Fire every milestone of the group not yet reached whose number is ``members`` or fewer (called by the
    join that brought the group to ``members``); how many fired."""
    now = now or utcnow()
    reached = list(
        session.scalars(
            update(GroupMilestone)
            .where(
                GroupMilestone.group_id == group_id,
                GroupMilestone.reached_at.is_(None),
                GroupMilestone.members <= members,
            )
            .values(reached_at=now)
            .returning(GroupMilestone)
            .execution_options(synchronize_session=False)
        )
    )
    if not reached:
        return 0
    owner = owner_actor(session, shop_id, "milestone")
    for milestone in sorted(reached, key=lambda m: m.members):
        milestone.outcome = _act(session, owner, milestone, now)
    session.flush()
    return len(reached)


def _act(session: Session, owner: Actor, milestone: GroupMilestone, now: datetime) -> str:
    from siyu.groups.activities import ActivitySpec, create_activity  # activities builds on the services too

    outcome = ""
    if milestone.action == "red_packet":
        spec = ActivitySpec(
            kind="red_packet",
            name=f"{milestone.members:,} 人红包雨"[:60],
            starts_at=now,
            ends_at=now + timedelta(hours=RAIN_HOURS),
            budget_fen=milestone.budget_fen,
            packets=milestone.packets,
        )
        try:
            with session.begin_nested():
                activity = create_activity(session, by=owner, group_id=milestone.group_id, spec=spec)
        except DomainError as exc:
            outcome = f"红包雨未开始：{exc.zh} / the red-packet rain did not start: {exc.en}"
        else:
            milestone.activity_id = activity.id
            amount = format_yuan(milestone.budget_fen)
            outcome = (
                f"已发布群公告，红包雨已开始：{amount}，{milestone.packets} 个红包 / "
                f"announced; red-packet rain started: {amount} in {milestone.packets} packets"
            )
    with session.begin_nested():
        publish_post(
            session,
            by=owner,
            group_id=milestone.group_id,
            kind="essential",
            title=f"群人数达到 {milestone.members:,} 人"[:60],
            text=milestone.text,
            at_all=True,
            now=now,
        )
    record(
        session,
        owner,
        "group.milestone.reached",
        "group",
        milestone.group_id,
        after={"members": milestone.members, "action": milestone.action, "outcome": outcome},
    )
    return (outcome or "已发布群公告 / announced")[:OUTCOME_MAX]
