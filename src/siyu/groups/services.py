"""Use cases of the groups area: groups and sub-groups, joining and leaving, kicking, posts with rule
moderation, essentials, growth value and check-in (SPEC §7). Group activities are in
:mod:`siyu.groups.activities`, operating plans in :mod:`siyu.groups.plans`.

Joining is in :mod:`siyu.groups.joining`.

Concurrency (PostgreSQL, READ COMMITTED; SQLite has one writer): a buyer's membership row (UNIQUE
group+customer) is written or locked before it changes, and always before any sub-group row, and
several of either kind are locked in a fixed order (memberships by customer id, sub-groups by id). A
join writes or locks its buyers' rows, then the group's sub-group rows (see :mod:`siyu.groups.joining`);
a leave locks the membership, then frees the seat; a kick of up to ten locks all of theirs, in
customer order, and frees their seats only afterwards, in sub-group order. A kick turns any state into
``kicked`` — and bars a buyer who never joined with a ``kicked`` row — while a rejoin turns only
``left`` into ``active``. Whichever commits first, a kicked buyer stays out.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.audit.services import Actor, record
from siyu.core.errors import InvalidInput, NotFound, PermissionDenied
from siyu.customers.models import Customer
from siyu.db import shop_row, utcnow
from siyu.groups import domain
from siyu.groups.errors import GroupLimit, JoinRefused, NotAGroupMember, NotGroupAdmin
from siyu.groups.models import (
    Group,
    GroupMember,
    GroupMemberEvent,
    GroupPost,
    ModerationRule,
    SubGroup,
    SubGroupAdmin,
)
from siyu.shops.models import Shop, Staff

POST_KINDS = ("message", "essential", "faq", "note", "rule")
PINNED_KINDS = ("essential", "faq", "note", "rule")
POST_MAX = 500
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


# ---- groups and sub-groups -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GroupSpec:
    name: str
    goal: str = "new"
    min_spend_fen: int = 0
    group_type: str = "welfare"
    description: str = ""
    sub_groups: int = domain.SUBGROUPS_PER_GROUP
    capacity: int = domain.SUBGROUP_CAPACITY


def _check_spec(spec: GroupSpec) -> None:
    name = spec.name.strip()
    if not name or len(name) > 60:
        raise InvalidInput(
            "群名称必填，最多 60 个字", "a group needs a name of at most 60 characters", code="group_name"
        )
    domain.check_goal(spec.goal, spec.min_spend_fen)
    if spec.group_type not in domain.GROUP_TYPES:
        raise InvalidInput(
            f"未知的群类型「{spec.group_type}」", f"unknown group type '{spec.group_type}'", code="group_type"
        )
    if len(spec.description) > 300:
        raise InvalidInput("群介绍最多 300 个字", "the description holds at most 300 characters", code="group_text")
    if not 1 <= spec.sub_groups <= domain.SUBGROUPS_PER_GROUP:
        raise InvalidInput(
            f"每个群可有 1–{domain.SUBGROUPS_PER_GROUP} 个子群",
            f"a group has 1 to {domain.SUBGROUPS_PER_GROUP} sub-groups",
            code="group_sub_groups",
        )
    if not 1 <= spec.capacity <= domain.SUBGROUP_CAPACITY:
        raise InvalidInput(
            f"每个子群可容纳 1–{domain.SUBGROUP_CAPACITY:,} 人",
            f"a sub-group holds 1 to {domain.SUBGROUP_CAPACITY:,} members",
            code="group_capacity",
        )


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def list_groups(session: Session, *, shop_id: int) -> list[Group]:
    return list(session.scalars(select(Group).where(Group.shop_id == shop_id).order_by(Group.position, Group.id)))


def get_group(session: Session, *, shop_id: int, group_id: int, lock: bool = False) -> Group:
    """The shop's group; ``lock=True`` serialises changes to the group (FOR NO KEY UPDATE: joins, posts and
    events that refer to the group are not held up, and a join that already holds sub-group rows never
    waits on it in a cycle)."""
    group = shop_row(session, Group, group_id, shop_id, lock=lock, key_share=True)
    if group is None:
        raise NotFound("群", "group")
    return group


def group_by_code(session: Session, *, shop_id: int, code: str) -> Group:
    group = session.scalar(select(Group).where(Group.shop_id == shop_id, Group.code == code[:16]))
    if group is None:
        raise NotFound("群", "group")
    return group


def sub_groups_of(session: Session, group_id: int) -> list[SubGroup]:
    return list(session.scalars(select(SubGroup).where(SubGroup.group_id == group_id).order_by(SubGroup.position)))


def create_group(session: Session, *, by: Actor, spec: GroupSpec) -> Group:
    """A group with its sub-groups (10 of 1,000 by default), within the shop's limits of 10 groups,
    100 sub-groups and 100,000 fans (SPEC §7)."""
    _check_spec(spec)
    session.scalar(select(Shop.id).where(Shop.id == by.shop_id).with_for_update())  # one creation at a time
    groups = session.scalar(select(func.count()).select_from(Group).where(Group.shop_id == by.shop_id)) or 0
    subs, seats = session.execute(
        select(func.count(), func.coalesce(func.sum(SubGroup.capacity), 0)).where(SubGroup.shop_id == by.shop_id)
    ).one()
    if groups >= domain.MAX_GROUPS_PER_SHOP:
        raise GroupLimit(
            f"每个店铺最多 {domain.MAX_GROUPS_PER_SHOP} 个群，已达上限",
            f"a shop has at most {domain.MAX_GROUPS_PER_SHOP} groups",
            code="group_limit_groups",
        )
    if subs + spec.sub_groups > domain.MAX_SUBGROUPS_PER_SHOP:
        raise GroupLimit(
            f"每个店铺最多 {domain.MAX_SUBGROUPS_PER_SHOP} 个子群，还可建 {domain.MAX_SUBGROUPS_PER_SHOP - subs} 个",
            f"a shop has at most {domain.MAX_SUBGROUPS_PER_SHOP} sub-groups; "
            f"{domain.MAX_SUBGROUPS_PER_SHOP - subs} left",
            code="group_limit_sub_groups",
        )
    if seats + spec.sub_groups * spec.capacity > domain.MAX_FANS_PER_SHOP:
        raise GroupLimit(
            f"每个店铺的群最多容纳 {domain.MAX_FANS_PER_SHOP:,} 人，"
            f"还可增加 {domain.MAX_FANS_PER_SHOP - seats:,} 个席位",
            f"a shop's groups hold at most {domain.MAX_FANS_PER_SHOP:,} fans; "
            f"{domain.MAX_FANS_PER_SHOP - seats:,} seats left",
            code="group_limit_fans",
        )
    group = Group(
        shop_id=by.shop_id,
        position=groups + 1,
        code=_new_code(),
        name=spec.name.strip(),
        goal=spec.goal,
        min_spend_fen=spec.min_spend_fen if spec.goal == "high_value" else 0,
        group_type=spec.group_type,
        description=spec.description.strip(),
        allowed_hosts=["jd.com", "3.cn"],
        created_by=by.label,
    )
    session.add(group)
    session.flush()
    session.add_all(
        SubGroup(shop_id=by.shop_id, group_id=group.id, position=n, name=f"{group.name} {n}群", capacity=spec.capacity)
        for n in range(1, spec.sub_groups + 1)
    )
    session.flush()
    record(
        session,
        by,
        "group.create",
        "group",
        group.id,
        after={"name": group.name, "goal": group.goal, "sub_groups": spec.sub_groups, "capacity": spec.capacity},
    )
    return group


def update_group(session: Session, *, by: Actor, group_id: int, spec: GroupSpec) -> Group:
    """Change name, goal, threshold, type and description (sub-groups and capacity stay)."""
    group = get_group(session, shop_id=by.shop_id, group_id=group_id, lock=True)
    _check_spec(GroupSpec(spec.name, spec.goal, spec.min_spend_fen, spec.group_type, spec.description))
    before = {"name": group.name, "goal": group.goal, "min_spend_fen": group.min_spend_fen}
    group.name, group.goal = spec.name.strip(), spec.goal
    group.min_spend_fen = spec.min_spend_fen if spec.goal == "high_value" else 0
    group.group_type, group.description = spec.group_type, spec.description.strip()
    record(
        session, by, "group.update", "group", group.id, before=before, after={"name": group.name, "goal": group.goal}
    )
    return group


def set_group_status(session: Session, *, by: Actor, group_id: int, status: str) -> Group:
    """Close a group to new joins and posts, or open it again."""
    if status not in ("active", "closed"):
        raise InvalidInput("群状态只能是开放或关闭", "a group is either active or closed", code="group_status")
    group = get_group(session, shop_id=by.shop_id, group_id=group_id, lock=True)
    before = group.status
    group.status = status
    record(session, by, "group.status", "group", group.id, before={"status": before}, after={"status": status})
    return group


def set_allowed_hosts(session: Session, *, by: Actor, group_id: int, hosts: Sequence[str]) -> Group:
    """The link hosts members may post in this group (e.g. jd.com); other links break the link rule."""
    cleaned = sorted({h.strip().lower().removeprefix("www.") for h in hosts if h.strip()})
    if len(cleaned) > 20 or any(len(h) > 60 or " " in h for h in cleaned):
        raise InvalidInput(
            "最多 20 个域名，每个最多 60 个字符", "at most 20 hosts of 60 characters", code="group_hosts"
        )
    group = get_group(session, shop_id=by.shop_id, group_id=group_id, lock=True)
    group.allowed_hosts = cleaned
    record(session, by, "group.hosts", "group", group.id, after={"hosts": cleaned})
    return group


# ---- who may manage a sub-group ------------------------------------------------------------------------
def _is_owner(session: Session, by: Actor) -> bool:
    if by.kind == "token":
        return True  # tokens carry groups:manage (checked by the API) and act for the shop
    if by.kind != "staff" or by.id is None:
        return False
    staff = session.get(Staff, by.id)
    return staff is not None and staff.shop_id == by.shop_id and staff.is_main


def _admin_of(session: Session, by: Actor) -> set[int]:
    if by.kind != "staff" or by.id is None:
        return set()
    return set(session.scalars(select(SubGroupAdmin.sub_group_id).where(SubGroupAdmin.staff_id == by.id)))


def may_manage(session: Session, by: Actor, sub_group_id: int | None) -> bool:
    """The shop's main account (the group owner), an API token, or a staff admin of that sub-group."""
    if _is_owner(session, by):
        return True
    if by.kind == "staff" and by.id is not None:
        staff = session.get(Staff, by.id)
        if staff is not None and staff.shop_id == by.shop_id and "groups:manage" in (staff.permissions or []):
            return True
    return sub_group_id is not None and sub_group_id in _admin_of(session, by)


def set_admins(session: Session, *, by: Actor, sub_group_id: int, staff_ids: Sequence[int]) -> list[int]:
    """The staff accounts that administer a sub-group (only the owner may choose them)."""
    sub = shop_row(session, SubGroup, sub_group_id, by.shop_id)
    if sub is None:
        raise NotFound("子群", "sub-group")
    if not _is_owner(session, by):
        raise NotGroupAdmin()
    wanted = sorted(set(staff_ids))
    if len(wanted) > 10:
        raise GroupLimit("每个子群最多 10 位管理员", "a sub-group has at most 10 admins", code="group_limit_admins")
    for staff_id in wanted:
        if shop_row(session, Staff, staff_id, by.shop_id) is None:
            raise NotFound("员工账号", "staff account")
    before = sorted(session.scalars(select(SubGroupAdmin.staff_id).where(SubGroupAdmin.sub_group_id == sub.id)))
    session.query(SubGroupAdmin).filter(SubGroupAdmin.sub_group_id == sub.id).delete()
    session.add_all(SubGroupAdmin(shop_id=by.shop_id, sub_group_id=sub.id, staff_id=s) for s in wanted)
    session.flush()
    record(session, by, "group.admins", "sub_group", sub.id, before={"staff": before}, after={"staff": wanted})
    return wanted


# ---- joining and leaving -------------------------------------------------------------------------------
def _customer(session: Session, shop_id: int, customer_id: int) -> Customer:
    customer = shop_row(session, Customer, customer_id, shop_id)
    if customer is None:
        raise NotFound("客户", "customer")
    return customer


def membership_of(session: Session, group_id: int, customer_id: int) -> GroupMember | None:
    return session.scalar(
        select(GroupMember).where(GroupMember.group_id == group_id, GroupMember.customer_id == customer_id)
    )


def _locked_membership(session: Session, group_id: int, customer_id: int) -> GroupMember | None:
    """The membership row, locked for the rest of the transaction (PostgreSQL; SQLite has one writer)."""
    return session.scalar(
        select(GroupMember)
        .where(GroupMember.group_id == group_id, GroupMember.customer_id == customer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _free_seat(session: Session, sub_group_id: int, seats: int = 1) -> None:
    session.execute(
        update(SubGroup)
        .where(SubGroup.id == sub_group_id, SubGroup.member_count >= seats)
        .values(member_count=SubGroup.member_count - seats)
        .execution_options(synchronize_session=False)
    )


def leave_group(session: Session, *, by: Actor, group_id: int, customer_id: int, now: datetime | None = None) -> None:
    """The buyer leaves; their seat frees up and they may join again later."""
    now = now or utcnow()
    group = get_group(session, shop_id=by.shop_id, group_id=group_id)
    membership = _locked_membership(session, group.id, customer_id)
    if membership is None or membership.status != "active" or membership.sub_group_id is None:
        raise NotAGroupMember()
    sub_id = membership.sub_group_id
    membership.status, membership.sub_group_id, membership.left_at = "left", None, now
    session.flush()
    _free_seat(session, sub_id)
    session.add(
        GroupMemberEvent(
            shop_id=by.shop_id, group_id=group.id, sub_group_id=sub_id, customer_id=customer_id, kind="leave", at=now
        )
    )
    if by.kind != "customer":  # the buyer's own leave is its member event
        record(session, by, "group.leave", "group", group.id, after={"customer_id": customer_id})
    session.flush()


def kick_members(
    session: Session, *, by: Actor, group_id: int, customer_ids: Sequence[int], now: datetime | None = None
) -> list[int]:
    """Remove up to 10 buyers at once (owner or the sub-group's admins only); they can never rejoin.

    A buyer who is not (yet) in the group is barred all the same, so a kick that races a join always
    wins in the end: either the join commits first and the kick removes the seat, or the kick's row is
    there first and the join is refused."""
    now = now or utcnow()
    wanted = list(dict.fromkeys(customer_ids))
    if not wanted:
        raise InvalidInput("请选择要移出的成员", "choose the members to remove", code="group_kick_none")
    if len(wanted) > domain.KICK_AT_MOST:
        raise GroupLimit(
            f"一次最多移出 {domain.KICK_AT_MOST} 人",
            f"at most {domain.KICK_AT_MOST} members per kick",
            code="group_limit_kick",
        )
    group = get_group(session, shop_id=by.shop_id, group_id=group_id)
    kicked: list[int] = []
    freed: Counter[int] = Counter()  # sub-group id → seats the kick frees
    for customer_id in sorted(wanted):  # a fixed order, so two kicks never wait on each other in a cycle
        _customer(session, by.shop_id, customer_id)
        membership = _locked_membership(session, group.id, customer_id)
        if membership is None:
            if not may_manage(session, by, None):
                raise NotGroupAdmin()
            barred = GroupMember(
                shop_id=by.shop_id,
                group_id=group.id,
                customer_id=customer_id,
                sub_group_id=None,
                status="kicked",
                left_at=now,
                kicked_by=by.label,
            )
            try:
                with session.begin_nested():
                    session.add(barred)
                    session.flush()
            except IntegrityError:
                membership = _locked_membership(session, group.id, customer_id)  # joined at this very moment
            else:
                kicked.append(customer_id)
                continue
        assert membership is not None
        if not may_manage(session, by, membership.sub_group_id):
            raise NotGroupAdmin()
        if membership.status == "kicked":
            continue
        seat = membership.sub_group_id if membership.status == "active" else None
        membership.status, membership.sub_group_id = "kicked", None
        membership.left_at, membership.kicked_by = now, by.label
        if seat is not None:
            freed[seat] += 1
        session.add(
            GroupMemberEvent(
                shop_id=by.shop_id, group_id=group.id, sub_group_id=seat, customer_id=customer_id, kind="kick", at=now
            )
        )
        kicked.append(customer_id)
    session.flush()
    # the seats last, once every membership row is locked: a join or leave holding one of those rows
    # while it waits for a sub-group row would otherwise wait on this kick in a cycle
    for sub_id in sorted(freed):
        _free_seat(session, sub_id, freed[sub_id])
    record(session, by, "group.kick", "group", group.id, after={"customers": kicked})
    session.flush()
    return kicked


# ---- posts and moderation ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Posted:
    post: GroupPost
    verdict: domain.Verdict | None
    kicked: bool = False


def shop_rules(session: Session, shop_id: int) -> list[domain.ModerationRule]:
    rows = session.scalars(select(ModerationRule).where(ModerationRule.shop_id == shop_id).order_by(ModerationRule.id))
    return [domain.ModerationRule(kind=r.kind, pattern=r.pattern, action=r.action) for r in rows]


def list_rules(session: Session, *, shop_id: int) -> list[ModerationRule]:
    return list(
        session.scalars(select(ModerationRule).where(ModerationRule.shop_id == shop_id).order_by(ModerationRule.id))
    )


def add_rule(session: Session, *, by: Actor, kind: str, pattern: str = "", action: str = "remove") -> ModerationRule:
    """A rule every group of the shop applies to members' posts."""
    if kind not in ("keyword", "link", "ad"):
        raise InvalidInput(
            "规则类型只能是关键词、外链或广告", "a rule is a keyword, link or ad rule", code="group_rule"
        )
    if action not in ("warn", "remove", "kick"):
        raise InvalidInput("处理方式只能是警告、删除或移出", "the action is warn, remove or kick", code="group_rule")
    pattern = pattern.strip()
    if kind == "keyword" and not 1 <= len(pattern) <= 60:
        raise InvalidInput(
            "关键词规则需要 1–60 个字的关键词", "a keyword rule needs a keyword of 1–60 characters", code="group_rule"
        )
    # the same checks the moderation applies to stored rules (a keyword of punctuation only is refused)
    domain.ModerationRule(kind=kind, pattern=pattern if kind == "keyword" else "", action=action)
    count = session.scalar(select(func.count()).select_from(ModerationRule).where(ModerationRule.shop_id == by.shop_id))
    if (count or 0) >= 200:
        raise GroupLimit("每个店铺最多 200 条规则", "a shop has at most 200 rules", code="group_limit_rules")
    rule = ModerationRule(shop_id=by.shop_id, kind=kind, pattern=pattern if kind == "keyword" else "", action=action)
    session.add(rule)
    session.flush()
    record(
        session,
        by,
        "group.rule.add",
        "moderation_rule",
        rule.id,
        after={"kind": kind, "pattern": pattern, "action": action},
    )
    return rule


def remove_rule(session: Session, *, by: Actor, rule_id: int) -> None:
    rule = shop_row(session, ModerationRule, rule_id, by.shop_id)
    if rule is None:
        raise NotFound("规则", "rule")
    record(
        session,
        by,
        "group.rule.remove",
        "moderation_rule",
        rule.id,
        before={"kind": rule.kind, "pattern": rule.pattern},
    )
    session.delete(rule)
    session.flush()


def active_membership(session: Session, group_id: int, customer_id: int) -> GroupMember:
    membership = membership_of(session, group_id, customer_id)
    if membership is None or membership.status != "active":
        raise NotAGroupMember()
    return membership


def post_message(
    session: Session, *, by: Actor, group_id: int, customer_id: int, text: str, now: datetime | None = None
) -> Posted:
    """A member's message into their sub-group, checked against the shop's rules: a post that breaks one
    is kept out of sight (removed, with the rule) and the poster is warned or removed as the rule says."""
    now = now or utcnow()
    text = text.strip()
    if not text or len(text) > POST_MAX:
        raise InvalidInput(
            f"消息不能为空，最多 {POST_MAX} 个字", f"a message is 1 to {POST_MAX} characters", code="group_post_text"
        )
    group = get_group(session, shop_id=by.shop_id, group_id=group_id)
    if group.status != "active":
        raise JoinRefused("该群已关闭，暂不能发言", "the group is closed", code="group_closed")
    membership = active_membership(session, group.id, customer_id)
    verdict = domain.moderate(text, shop_rules(session, by.shop_id), allowed_hosts=group.allowed_hosts or [])
    post = GroupPost(
        shop_id=by.shop_id,
        group_id=group.id,
        sub_group_id=membership.sub_group_id,
        kind="message",
        author_kind="customer",
        customer_id=customer_id,
        text=text,
        created_at=now,
    )
    if verdict is not None and verdict.action in ("remove", "kick"):
        post.status = "removed"
        post.removed_reason = f"{verdict.rule.kind}:{verdict.matched}"[:120]
    session.add(post)
    membership.last_active_at = now
    if verdict is not None:
        membership.warnings += 1
    session.flush()
    kicked = False
    if verdict is not None and verdict.action == "kick":
        owner = owner_actor(session, by.shop_id, "moderation")
        kick_members(session, by=owner, group_id=group.id, customer_ids=[customer_id], now=now)
        kicked = True
    if verdict is not None:
        record(
            session,
            Actor(by.shop_id, "system", None, "moderation"),
            "group.moderate",
            "group_post",
            post.id,
            after={"rule": verdict.rule.kind, "action": verdict.action, "matched": verdict.matched},
        )
    return Posted(post, verdict, kicked)


def owner_actor(session: Session, shop_id: int, role: str) -> Actor:
    """The shop's main account (the owner of every group), on whose authority a rule acts on its own —
    moderation removing a poster, a milestone announcing itself; ``role`` names the rule in the audit."""
    main = session.scalar(select(Staff).where(Staff.shop_id == shop_id, Staff.is_main.is_(True)))
    if main is None:
        raise PermissionDenied("groups:manage")
    return Actor(shop_id, "staff", main.id, f"{main.username}({role})")


def publish_post(
    session: Session,
    *,
    by: Actor,
    group_id: int,
    kind: str,
    text: str,
    title: str = "",
    at_all: bool = False,
    sub_group_id: int | None = None,
    now: datetime | None = None,
) -> GroupPost:
    """A staff post: an answer in the chat, or a pinned essential (with @all), FAQ, daily note or rule."""
    if kind not in POST_KINDS:
        raise InvalidInput(f"未知的内容类型「{kind}」", f"unknown post kind '{kind}'", code="group_post_kind")
    text = text.strip()
    if not text or len(text) > 2000:
        raise InvalidInput("内容不能为空，最多 2000 个字", "a post is 1 to 2,000 characters", code="group_post_text")
    if len(title) > 60:
        raise InvalidInput("标题最多 60 个字", "a title holds at most 60 characters", code="group_post_text")
    group = get_group(session, shop_id=by.shop_id, group_id=group_id)
    if sub_group_id is not None:
        sub = shop_row(session, SubGroup, sub_group_id, by.shop_id)
        if sub is None or sub.group_id != group.id:
            raise NotFound("子群", "sub-group")
    if not may_manage(session, by, sub_group_id):
        raise NotGroupAdmin()
    post = GroupPost(
        shop_id=by.shop_id,
        group_id=group.id,
        sub_group_id=sub_group_id,
        kind=kind,
        author_kind="system" if by.kind == "system" else "staff",
        staff_name=by.name,
        title=title.strip(),
        text=text,
        at_all=at_all and kind in ("essential", "message"),
        created_at=now or utcnow(),
    )
    session.add(post)
    session.flush()
    record(session, by, "group.post", "group_post", post.id, after={"kind": kind, "at_all": post.at_all})
    return post


def remove_post(session: Session, *, by: Actor, post_id: int, reason: str = "") -> GroupPost:
    post = shop_row(session, GroupPost, post_id, by.shop_id, lock=True)
    if post is None:
        raise NotFound("消息", "post")
    if not may_manage(session, by, post.sub_group_id):
        raise NotGroupAdmin()
    post.status = "removed"
    post.removed_reason = (reason.strip() or "staff")[:120]
    record(session, by, "group.post.remove", "group_post", post.id)
    return post


def posts_after(
    session: Session, *, group_id: int, sub_group_id: int | None, after_id: int = 0, limit: int = 50
) -> list[GroupPost]:
    """Visible chat posts of a sub-group (and the group-wide ones) newer than ``after_id``, oldest first —
    what the buyer's page polls for."""
    query = (
        select(GroupPost)
        .where(
            GroupPost.group_id == group_id,
            GroupPost.id > after_id,
            GroupPost.status == "visible",
            GroupPost.kind == "message",
        )
        .order_by(GroupPost.id.desc())
        .limit(limit)
    )
    if sub_group_id is not None:
        query = query.where((GroupPost.sub_group_id == sub_group_id) | GroupPost.sub_group_id.is_(None))
    return list(reversed(list(session.scalars(query))))


def pinned_posts(session: Session, *, group_id: int) -> dict[str, list[GroupPost]]:
    """The group's essentials, FAQ, daily notes and rules, newest first per kind."""
    rows = session.scalars(
        select(GroupPost)
        .where(GroupPost.group_id == group_id, GroupPost.kind.in_(PINNED_KINDS), GroupPost.status == "visible")
        .order_by(GroupPost.id.desc())
    )
    found: dict[str, list[GroupPost]] = {k: [] for k in PINNED_KINDS}
    for post in rows:
        found[post.kind].append(post)
    return found


def mark_kol(session: Session, *, by: Actor, group_id: int, customer_id: int, is_kol: bool) -> GroupMember:
    """Mark an active member as a KOL (达人) of the group, or unmark them."""
    membership = active_membership(session, group_id, customer_id)
    if not may_manage(session, by, membership.sub_group_id):
        raise NotGroupAdmin()
    membership.is_kol = is_kol
    record(session, by, "group.kol", "group_member", membership.id, after={"is_kol": is_kol})
    return membership
