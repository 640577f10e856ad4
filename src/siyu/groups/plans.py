"""Group operating plans (SPEC §7, seed 001): a group's weekday themes and daily time slots, the month's
content calendar turned into scheduled posts, and the worker step that publishes due posts on time.

Publishing is exactly-once: a due post is claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (one
writer on SQLite), published into the group as a system post and marked ``published`` in the same
transaction, so two workers never publish the same post and a crash publishes it on the next round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit.services import Actor, record
from siyu.core.errors import InvalidInput, NotFound
from siyu.db import shop_row, transaction, utcnow
from siyu.groups import domain
from siyu.groups.errors import NotGroupAdmin
from siyu.groups.models import Group, GroupPlan, GroupPost, ScheduledPost
from siyu.groups.services import get_group, may_manage
from siyu.shops.services import shop_zone

KIND_LABELS = {
    "slot": ("日常时段", "daily slot"),
    "themed_activity": ("主题活动", "themed activity"),
    "lottery": ("抽奖", "lottery"),
    "custom": ("自定义", "custom"),
}


@dataclass(frozen=True, slots=True)
class Plan:
    weekday_themes: list[str]
    slots: list[str]


def plan_of(session: Session, *, group_id: int) -> Plan:
    """The group's plan, or the seed's defaults (themes per weekday, the four daily slots)."""
    row = session.scalar(select(GroupPlan).where(GroupPlan.group_id == group_id))
    themes = list(row.weekday_themes) if row is not None and row.weekday_themes else list(domain.WEEKDAY_THEMES)
    slots = list(row.slots) if row is not None and row.slots else list(domain.DAILY_SLOTS)
    return Plan(themes, slots)


def theme_label(theme: str, lang: str = "zh") -> str:
    """A theme key's label (a shop's own free-text theme is its own label)."""
    known = domain.THEMES.get(theme)
    if known is None:
        return theme
    return known.label_en if lang.startswith("en") else known.label_zh


def save_plan(
    session: Session, *, by: Actor, group_id: int, weekday_themes: Sequence[str], slots: Sequence[str]
) -> Plan:
    """Set the group's weekday themes (Monday to Sunday) and daily slots ("HH:MM-HH:MM" or "HH:MM")."""
    group = get_group(session, shop_id=by.shop_id, group_id=group_id)
    if not may_manage(session, by, None):
        raise NotGroupAdmin()
    themes = [t.strip()[:40] for t in weekday_themes]
    cleaned = [s.strip() for s in slots if s.strip()]
    if not 1 <= len(cleaned) <= 8:
        raise InvalidInput("每天 1–8 个时段", "1 to 8 slots a day", code="group_plan_slot")
    domain.plan_month(2026, 1, weekday_themes=themes, slots=cleaned, themed_days=[], lottery_days=[])  # checks
    row = session.scalar(select(GroupPlan).where(GroupPlan.group_id == group.id))
    if row is None:
        row = GroupPlan(shop_id=by.shop_id, group_id=group.id)
        session.add(row)
    row.weekday_themes, row.slots, row.updated_at = themes, cleaned, utcnow()
    session.flush()
    record(session, by, "group.plan", "group", group.id, after={"themes": themes, "slots": cleaned})
    return Plan(themes, cleaned)


def _text_for(group: Group, post: domain.PlannedPost) -> str:
    theme = theme_label(post.theme)
    if post.kind == "themed_activity":
        return f"【本月主题活动】今晚 {post.publish_at:%H:%M}「{theme}」主题活动开始，群内专享福利，不要错过！"
    if post.kind == "lottery":
        return f"【幸运抽奖】今晚 {post.publish_at:%H:%M} 群内抽奖，参与即有机会赢好礼！"
    note = domain.SLOT_NOTES.get(post.slot)
    hint = f"（{note.label_zh}）" if note is not None else ""
    return f"【{theme}】{group.name} {post.slot}{hint}"


def schedule_month(
    session: Session,
    *,
    by: Actor,
    group_id: int,
    year: int,
    month: int,
    themed_days: Sequence[int] | None = None,
    lottery_days: Sequence[int] | None = None,
    now: datetime | None = None,
) -> int:
    """Turn the month's content calendar into scheduled posts (times still ahead only). Planning a month
    again replaces its posts that are not published yet. Returns how many were scheduled."""
    now = now or utcnow()
    group = get_group(session, shop_id=by.shop_id, group_id=group_id)
    if not may_manage(session, by, None):
        raise NotGroupAdmin()
    plan = plan_of(session, group_id=group.id)
    planned = domain.plan_month(
        year,
        month,
        weekday_themes=plan.weekday_themes,
        slots=plan.slots,
        themed_days=themed_days,
        lottery_days=lottery_days,
    )
    zone = shop_zone(session, by.shop_id)
    start = datetime(year, month, 1, tzinfo=zone).astimezone(UTC)
    end = (datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)).astimezone(UTC)
    session.execute(
        delete(ScheduledPost).where(
            ScheduledPost.group_id == group.id,
            ScheduledPost.status == "scheduled",
            ScheduledPost.kind != "custom",
            ScheduledPost.publish_at >= start,
            ScheduledPost.publish_at < end,
        )
    )
    count = 0
    for post in planned:
        at = post.publish_at.replace(tzinfo=zone).astimezone(UTC)
        if at <= now:
            continue
        session.add(
            ScheduledPost(
                shop_id=by.shop_id,
                group_id=group.id,
                publish_at=at,
                slot=post.slot,
                theme=post.theme,
                kind=post.kind,
                text=_text_for(group, post),
                at_all=post.kind != "slot",
            )
        )
        count += 1
    session.flush()
    record(
        session, by, "group.schedule_month", "group", group.id, after={"month": f"{year}-{month:02d}", "posts": count}
    )
    return count


def schedule_post(
    session: Session, *, by: Actor, group_id: int, publish_at: datetime, text: str, at_all: bool = False
) -> ScheduledPost:
    """One post of the merchant's own to publish at ``publish_at`` (aware)."""
    group = get_group(session, shop_id=by.shop_id, group_id=group_id)
    if not may_manage(session, by, None):
        raise NotGroupAdmin()
    text = text.strip()
    if not text or len(text) > 2000:
        raise InvalidInput("内容不能为空，最多 2000 个字", "a post is 1 to 2,000 characters", code="group_post_text")
    if publish_at.tzinfo is None:
        raise InvalidInput("发布时间缺少时区", "the publishing time needs a time zone", code="group_plan_time")
    if publish_at <= utcnow():
        raise InvalidInput("发布时间须晚于现在", "the publishing time must be in the future", code="group_plan_time")
    row = ScheduledPost(
        shop_id=by.shop_id, group_id=group.id, publish_at=publish_at, kind="custom", text=text, at_all=at_all
    )
    session.add(row)
    session.flush()
    record(session, by, "group.schedule_post", "scheduled_post", row.id, after={"publish_at": publish_at.isoformat()})
    return row


def cancel_scheduled(session: Session, *, by: Actor, scheduled_id: int) -> ScheduledPost:
    row = shop_row(session, ScheduledPost, scheduled_id, by.shop_id, lock=True)
    if row is None:
        raise NotFound("定时内容", "scheduled post")
    if not may_manage(session, by, None):
        raise NotGroupAdmin()
    if row.status != "scheduled":
        raise InvalidInput(
            "该内容已发布或已取消", "the post was already published or cancelled", code="group_plan_state"
        )
    row.status = "cancelled"
    record(session, by, "group.schedule_cancel", "scheduled_post", row.id)
    return row


def upcoming(session: Session, *, group_id: int, limit: int = 200) -> list[ScheduledPost]:
    return list(
        session.scalars(
            select(ScheduledPost)
            .where(ScheduledPost.group_id == group_id, ScheduledPost.status == "scheduled")
            .order_by(ScheduledPost.publish_at, ScheduledPost.id)
            .limit(limit)
        )
    )


def publish_due(factory: sessionmaker[Session], *, now: datetime | None = None, limit: int = 200) -> int:
    """Publish every scheduled post that is due, once each (the worker calls this every round)."""
    now = now or utcnow()
    with transaction(factory, write=True) as session:
        query = (
            select(ScheduledPost)
            .where(ScheduledPost.status == "scheduled", ScheduledPost.publish_at <= now)
            .order_by(ScheduledPost.publish_at, ScheduledPost.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        due = list(session.scalars(query))
        for row in due:
            group = session.get(Group, row.group_id)
            if group is None or group.status != "active":
                row.status = "cancelled"
                continue
            post = GroupPost(
                shop_id=row.shop_id,
                group_id=row.group_id,
                kind="message",
                author_kind="system",
                staff_name="运营日历",
                title=theme_label(row.theme) if row.theme else "",
                text=row.text,
                at_all=row.at_all,
                created_at=now,
            )
            session.add(post)
            session.flush()
            row.status, row.post_id = "published", post.id
        return len(due)
