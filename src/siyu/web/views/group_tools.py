"""Group marketing tools of the console (issue #6, SPEC §7–8): a group's activities (flash sale, red-packet
rain, group coupon, guess the price) with the shop's price floors, the shop's growth levels, a group's
operating plan with its scheduled posts, and the group's data with charts.

Times typed in the console are shop-local (``console.zone``); money is typed in yuan and turned into fen
exactly (Decimal, :func:`siyu.core.money.parse_yuan`). Refusals come back on the same page in the
reader's language with everything typed kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from siyu.core.errors import DomainError, InvalidInput, NotFound
from siyu.core.money import parse_yuan
from siyu.db import transaction, utcnow
from siyu.groups import activities, domain, growth, plans, queries
from siyu.groups.models import Group, GroupActivity
from siyu.groups.services import GroupSpec, get_group, update_group
from siyu.promotions import services as promotions
from siyu.web.context import Console, ConsoleDep, PostDep, factory_of
from siyu.web.i18n import gettext
from siyu.web.templating import render

router = APIRouter()

KINDS = tuple(activities.KINDS)
FLASH_ROWS = domain.FLASH_SALE_MAX_SKUS
LEVEL_ROWS = domain.LEVELS_AT_MOST
SLOT_ROWS = 8
CUSTOM_THEME = "__custom__"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FLASH_FIELDS = ("sku", "item_name", "category", "list_price", "price", "stock")
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "flash_sale": ("name", "starts_at", "ends_at"),
    "red_packet": ("name", "starts_at", "ends_at", "budget", "packets", "rounds"),
    "coupon": ("name", "starts_at", "ends_at", "coupon_template_id"),
    "guess": ("name", "starts_at", "ends_at", "guess_name", "guess_sku", "guess_price", "guess_tolerance"),
}
TOOLS_NOTICES = {
    "created": "The activity is created.",
    "cancelled": "The activity is cancelled.",
    "round": "The next round of red packets is open.",
    "floor": "Price floor saved.",
}
PLAN_NOTICES = {
    "plan": "Operating plan saved.",
    "month": "The month is planned.",
    "post": "The post is scheduled.",
    "cancelled": "The scheduled post is cancelled.",
}
_DAYS = re.compile(r"[\s,，、;；]+")


def _refuse(zh: str, en: str, code: str = "group_form") -> InvalidInput:
    return InvalidInput(zh, en, code=code)


def _local(text: str, zone: ZoneInfo, zh: str, en: str) -> datetime:
    """A datetime-local value (shop time) as an aware datetime."""
    try:
        return datetime.fromisoformat(text.strip()[:16]).replace(tzinfo=zone)
    except ValueError:
        raise _refuse(f"请填写有效的{zh}", f"enter a valid {en}", "group_form_time") from None


def _whole(text: str, zh: str, en: str, *, at_most: int = 1_000_000_000) -> int:
    value = text.strip()
    if not value.isdigit() or int(value) > at_most:
        raise _refuse(f"{zh}须为整数", f"{en} must be a whole number", "group_form_number")
    return int(value)


def _fen(text: str, zh: str, en: str) -> int:
    try:
        fen = parse_yuan(text)
    except ValueError:
        raise _refuse(
            f"{zh}须为以元为单位的金额，最多两位小数（例如 59.90）",
            f"{en} must be an amount in yuan with at most two decimals (e.g. 59.90)",
            "group_form_money",
        ) from None
    if fen < 0 or fen > 100_000_000_000:
        raise _refuse(f"{zh}超出范围", f"{en} is out of range", "group_form_money")
    return fen


def _local_input(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def _manages(console: Console) -> bool:
    return console.allows("groups:manage")


# ---- activities ----------------------------------------------------------------------------------------
def _activity_defaults(zone: ZoneInfo, kind: str) -> dict[str, str]:
    start = (utcnow().astimezone(zone) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    form = dict.fromkeys(KIND_FIELDS[kind], "")
    form["starts_at"] = start.strftime("%Y-%m-%dT%H:%M")
    form["ends_at"] = (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    if kind == "red_packet":
        form.update(rounds="1")
    if kind == "guess":
        form.update(guess_tolerance="5")
    return form


def _blank_rows() -> list[dict[str, str]]:
    return [dict.fromkeys(FLASH_FIELDS, "") for _ in range(FLASH_ROWS)]


def _read_kind_form(raw: Mapping[str, Any], kind: str) -> dict[str, str]:
    return {name: str(raw.get(name) or "") for name in KIND_FIELDS[kind]}


def _read_rows(raw: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{f: str(raw.get(f"{f}_{n}") or "") for f in FLASH_FIELDS} for n in range(FLASH_ROWS)]


def _spec(kind: str, form: dict[str, str], rows: list[dict[str, str]], zone: ZoneInfo) -> activities.ActivitySpec:
    starts = _local(form["starts_at"], zone, "开始时间", "start time")
    ends = _local(form["ends_at"], zone, "结束时间", "end time")
    common: dict[str, Any] = {"kind": kind, "name": form["name"].strip(), "starts_at": starts, "ends_at": ends}
    if kind == "flash_sale":
        items = []
        for n, row in enumerate(rows, start=1):
            if not any(v.strip() for v in row.values()):
                continue
            where_zh, where_en = f"第 {n} 行", f"row {n}"
            items.append(
                activities.FlashItemSpec(
                    sku=row["sku"].strip(),
                    name=row["item_name"].strip() or row["sku"].strip(),
                    category=row["category"].strip()[:100],
                    list_price_fen=_fen(row["list_price"], f"{where_zh}原价", f"{where_en}: the list price"),
                    price_fen=_fen(row["price"], f"{where_zh}抢购价", f"{where_en}: the price"),
                    stock=_whole(row["stock"], f"{where_zh}库存", f"{where_en}: the stock", at_most=1_000_000),
                )
            )
        return activities.ActivitySpec(**common, items=items)
    if kind == "red_packet":
        return activities.ActivitySpec(
            **common,
            budget_fen=_fen(form["budget"], "每轮红包总额", "the budget per round"),
            packets=_whole(form["packets"], "每轮红包个数", "the packets per round", at_most=1_000_000),
            rounds=_whole(form["rounds"], "轮数", "the rounds", at_most=1000),
        )
    if kind == "coupon":
        picked = form["coupon_template_id"].strip()
        if not picked.isdigit() or len(picked) > 11:
            raise _refuse("请选择一张优惠券", "choose a coupon", "group_form_coupon")
        return activities.ActivitySpec(**common, coupon_template_id=int(picked))
    return activities.ActivitySpec(
        **common,
        guess_name=form["guess_name"].strip(),
        guess_sku=form["guess_sku"].strip(),
        guess_price_fen=_fen(form["guess_price"], "正确价格", "the price"),
        guess_tolerance_pct=_whole(form["guess_tolerance"], "猜中误差", "the tolerance", at_most=100),
    )


@dataclass
class ActivityView:
    activity: GroupActivity
    state: str
    participants: int = 0
    items: list[Any] = field(default_factory=list)
    packets_taken: int = 0
    paid_fen: int = 0
    budget_fen: int = 0
    rounds_planned: int = 0
    coupon: Any = None


def _state(activity: GroupActivity, now: datetime) -> str:
    if activity.status != "active":
        return "cancelled"
    if now < activity.starts_at:
        return "scheduled"
    if now >= activity.ends_at:
        return "ended"
    return "running"


def _activity_views(session: Session, group: Group, zone: ZoneInfo, templates: dict[int, Any]) -> list[ActivityView]:
    now = utcnow()
    joined = {a.activity_id: a.participants for a in queries.group_data(session, group=group, zone=zone).activities}
    views = []
    for activity in activities.list_activities(session, shop_id=group.shop_id, group_id=group.id):
        view = ActivityView(activity, _state(activity, now), joined.get(activity.id, 0))
        if activity.kind == "flash_sale":
            view.items = activities.flash_items(session, activity.id)
        elif activity.kind == "red_packet":
            view.packets_taken, view.paid_fen, view.budget_fen = activities.red_packet_totals(session, activity.id)
            view.rounds_planned = int((activity.config or {}).get("rounds_planned", 1))
        elif activity.kind == "coupon" and activity.coupon_template_id is not None:
            view.coupon = templates.get(activity.coupon_template_id)
        views.append(view)
    return views


def _tools_page(
    request: Request,
    console: Console,
    group_id: int,
    *,
    kind: str = "",
    form: dict[str, str] | None = None,
    rows: list[dict[str, str]] | None = None,
    error: str = "",
    floor_form: dict[str, str] | None = None,
    floor_error: str = "",
    action_error: str = "",
    status_code: int = 200,
) -> Response:
    done = request.query_params.get("done", "")
    notice = gettext(console.lang, TOOLS_NOTICES[done]) if done in TOOLS_NOTICES else ""
    zone = console.zone
    forms = {k: _activity_defaults(zone, k) for k in KINDS}
    if kind in forms and form is not None:
        forms[kind] = form
    with transaction(factory_of(request)) as session:
        group = get_group(session, shop_id=console.shop.id, group_id=group_id)
        templates = promotions.list_templates(session, shop_id=console.shop.id)
        by_id = {t.id: t for t in templates}
        views = _activity_views(session, group, zone, by_id)
        shop_pct, categories = activities.price_floors(session, console.shop.id)
        session.expunge_all()
    running = sum(1 for v in views if v.state == "running")
    return render(
        request,
        "groups/tools_activities.html",
        console=console,
        status_code=status_code,
        group=group,
        tab="tools",
        manage=_manages(console),
        views=views,
        running=running,
        at_once=domain.ACTIVITIES_AT_ONCE,
        kinds=activities.KINDS,
        forms=forms,
        rows=rows or _blank_rows(),
        error_kind=kind if error else "",
        error=error,
        coupons=[t for t in templates if t.status == "active"],
        shop_pct=shop_pct,
        categories=sorted(categories.items()),
        floor_form=floor_form or {"category": "", "min_discount_pct": ""},
        floor_error=floor_error,
        action_error=action_error,
        notice="" if error or floor_error or action_error else notice,
        flash_limits=(domain.FLASH_SALE_MIN_HOURS, domain.FLASH_SALE_MAX_HOURS, domain.FLASH_SALE_MAX_SKUS),
        rounds_at_most=activities.ROUNDS_AT_MOST,
    )


@router.get("/groups/{group_id:int}/tools")
def tools_page(request: Request, console: ConsoleDep, group_id: int) -> Response:
    """The group's activities (at most three at once) and the forms to start one; the shop's price floors."""
    console.require("groups:view")
    return _tools_page(request, console, group_id)


@router.post("/groups/{group_id:int}/activities/{kind}")
async def activity_create(request: Request, console: PostDep, group_id: int, kind: str) -> Response:
    """Create a flash sale, red-packet rain, group coupon or guess-the-price; refusals keep what was typed."""
    console.require("groups:manage")
    if kind not in KINDS:
        raise NotFound("活动类型", "activity kind")
    raw = await request.form()
    form = _read_kind_form(raw, kind)
    rows = _read_rows(raw) if kind == "flash_sale" else None
    try:
        spec = _spec(kind, form, rows or [], console.zone)
        with transaction(factory_of(request), write=True) as session:
            activities.create_activity(session, by=console.principal.actor, group_id=group_id, spec=spec)
    except DomainError as exc:
        if exc.status == 403:
            raise
        return _tools_page(
            request,
            console,
            group_id,
            kind=kind,
            form=form,
            rows=rows,
            error=exc.message(console.lang),
            status_code=exc.status,
        )
    return RedirectResponse(f"/groups/{group_id}/tools?done=created#activities", status_code=303)


def _own_activity(session: Session, console: Console, group_id: int, activity_id: int) -> GroupActivity:
    activity = activities.get_activity(session, shop_id=console.shop.id, activity_id=activity_id)
    if activity.group_id != group_id:
        raise NotFound("群活动", "group activity")
    return activity


@router.post("/groups/{group_id:int}/activities/{activity_id:int}/{action}")
def activity_action(request: Request, console: PostDep, group_id: int, activity_id: int, action: str) -> Response:
    """Cancel an activity, or open the next round of a red-packet rain."""
    console.require("groups:manage")
    if action not in ("cancel", "round"):
        raise NotFound("操作", "action")
    try:
        with transaction(factory_of(request), write=True) as session:
            _own_activity(session, console, group_id, activity_id)
            by = console.principal.actor
            if action == "cancel":
                activities.cancel_activity(session, by=by, activity_id=activity_id)
            else:
                activities.open_round(session, by=by, activity_id=activity_id)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _tools_page(request, console, group_id, action_error=exc.message(console.lang), status_code=exc.status)
    done = "cancelled" if action == "cancel" else "round"
    return RedirectResponse(f"/groups/{group_id}/tools?done={done}#activities", status_code=303)


@router.post("/groups/{group_id:int}/floors")
async def floor_save(request: Request, console: PostDep, group_id: int) -> Response:
    """The shop's minimum discount for flash sales (category empty) or one category's."""
    console.require("groups:manage")
    raw = await request.form()
    form = {"category": str(raw.get("category") or ""), "min_discount_pct": str(raw.get("min_discount_pct") or "")}
    try:
        pct = _whole(form["min_discount_pct"], "最低折扣", "the minimum discount", at_most=1000)
        with transaction(factory_of(request), write=True) as session:
            get_group(session, shop_id=console.shop.id, group_id=group_id)
            activities.set_price_floor(
                session, by=console.principal.actor, category=form["category"], min_discount_pct=pct
            )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _tools_page(
            request, console, group_id, floor_form=form, floor_error=exc.message(console.lang), status_code=exc.status
        )
    return RedirectResponse(f"/groups/{group_id}/tools?done=floor#floors", status_code=303)


# ---- growth levels -------------------------------------------------------------------------------------
def _level_rows(levels: list[domain.GrowthLevel]) -> list[dict[str, str]]:
    rows = [{"name": lv.name, "min_growth": str(lv.min_growth), "benefits": lv.benefits} for lv in levels]
    rows += [{"name": "", "min_growth": "", "benefits": ""} for _ in range(LEVEL_ROWS - len(rows))]
    return rows[:LEVEL_ROWS]


def _levels_page(
    request: Request,
    console: Console,
    *,
    rows: list[dict[str, str]] | None = None,
    error: str = "",
    notice: str = "",
    status_code: int = 200,
) -> Response:
    with transaction(factory_of(request)) as session:
        levels = growth.levels_of(session, console.shop.id)
    return render(
        request,
        "groups/tools_levels.html",
        console=console,
        status_code=status_code,
        manage=_manages(console),
        levels=levels,
        rows=rows or _level_rows(levels),
        error=error,
        notice=notice,
        checkin_growth=domain.CHECKIN_GROWTH,
        checkin_points=domain.CHECKIN_POINTS,
        streak_every=domain.STREAK_BONUS_EVERY,
        activity_growth=growth.ACTIVITY_GROWTH,
        levels_at_most=LEVEL_ROWS,
    )


@router.get("/groups/levels")
def levels_page(request: Request, console: ConsoleDep) -> Response:
    """The shop's growth levels and their benefits, and how members earn growth value."""
    console.require("groups:view")
    saved = request.query_params.get("done") == "saved"
    return _levels_page(request, console, notice=gettext(console.lang, "Growth levels saved.") if saved else "")


@router.post("/groups/levels")
async def levels_save(request: Request, console: PostDep) -> Response:
    """Replace the growth levels: up to 10 rows, the first from 0, each starting higher."""
    console.require("groups:manage")
    raw = await request.form()
    rows = [
        {k: str(raw.get(f"level_{k}_{n}") or "") for k in ("name", "min_growth", "benefits")} for n in range(LEVEL_ROWS)
    ]
    try:
        levels = []
        for n, row in enumerate(rows, start=1):
            if not row["name"].strip() and not row["min_growth"].strip():
                continue
            minimum = _whole(row["min_growth"], f"第 {n} 行的起始成长值", f"row {n}: the starting growth")
            levels.append(domain.GrowthLevel(row["name"].strip(), minimum, row["benefits"].strip()))
        with transaction(factory_of(request), write=True) as session:
            growth.save_levels(session, by=console.principal.actor, levels=levels)
    except DomainError as exc:
        if exc.status == 403:
            raise
        return _levels_page(request, console, rows=rows, error=exc.message(console.lang), status_code=exc.status)
    return RedirectResponse("/groups/levels?done=saved", status_code=303)


# ---- operating plan ------------------------------------------------------------------------------------
def _plan_form(plan: plans.Plan, group_type: str) -> dict[str, Any]:
    themes = []
    for theme in plan.weekday_themes:
        known = theme in domain.THEMES
        themes.append({"pick": theme if known else CUSTOM_THEME, "text": "" if known else theme})
    slots = list(plan.slots) + [""] * (SLOT_ROWS - len(plan.slots))
    return {"group_type": group_type, "themes": themes, "slots": slots[:SLOT_ROWS]}


def _read_plan_form(raw: Mapping[str, Any]) -> dict[str, Any]:
    themes = [
        {"pick": str(raw.get(f"theme_{n}") or ""), "text": str(raw.get(f"theme_text_{n}") or "")} for n in range(7)
    ]
    slots = [str(raw.get(f"slot_{n}") or "") for n in range(SLOT_ROWS)]
    return {"group_type": str(raw.get("group_type") or ""), "themes": themes, "slots": slots}


@dataclass
class DayPosts:
    day: date
    posts: list[Any]


def _month_default(zone: ZoneInfo) -> dict[str, str]:
    today = utcnow().astimezone(zone).date()
    return {"year": str(today.year), "month": str(today.month), "themed_days": "", "lottery_days": ""}


def _post_default(zone: ZoneInfo) -> dict[str, str]:
    start = (utcnow().astimezone(zone) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return {"publish_at": start.strftime("%Y-%m-%dT%H:%M"), "text": "", "at_all": ""}


def _plan_page(
    request: Request,
    console: Console,
    group_id: int,
    *,
    plan_form: dict[str, Any] | None = None,
    plan_error: str = "",
    month_form: dict[str, str] | None = None,
    month_error: str = "",
    post_form: dict[str, str] | None = None,
    post_error: str = "",
    action_error: str = "",
    status_code: int = 200,
) -> Response:
    done = request.query_params.get("done", "")
    notice = ""
    if done in PLAN_NOTICES and not (plan_error or month_error or post_error or action_error):
        notice = gettext(console.lang, PLAN_NOTICES[done])
        if done == "month" and request.query_params.get("n", "").isdigit():
            notice = gettext(console.lang, "The month is planned: {n} posts scheduled.", n=request.query_params["n"])
    zone = console.zone
    with transaction(factory_of(request)) as session:
        group = get_group(session, shop_id=console.shop.id, group_id=group_id)
        plan = plans.plan_of(session, group_id=group.id)
        upcoming = plans.upcoming(session, group_id=group.id)
        session.expunge_all()
    days: list[DayPosts] = []
    for post in upcoming:
        on = post.publish_at.astimezone(zone).date()
        if not days or days[-1].day != on:
            days.append(DayPosts(on, []))
        days[-1].posts.append(post)
    return render(
        request,
        "groups/tools_plan.html",
        console=console,
        status_code=status_code,
        group=group,
        tab="plan",
        manage=_manages(console),
        group_types=domain.GROUP_TYPES,
        themes=domain.THEMES,
        custom_theme=CUSTOM_THEME,
        weekdays=WEEKDAYS,
        plan=plan,
        plan_form=plan_form or _plan_form(plan, group.group_type),
        plan_error=plan_error,
        month_form=month_form or _month_default(zone),
        month_error=month_error,
        post_form=post_form or _post_default(zone),
        post_error=post_error,
        action_error=action_error,
        notice=notice,
        days=days,
        kind_labels=plans.KIND_LABELS,
        theme_label=lambda key: plans.theme_label(key, console.lang),
        slot_notes=domain.SLOT_NOTES,
        monthly=domain.MONTHLY,
        count=len(upcoming),
    )


@router.get("/groups/{group_id:int}/plan")
def plan_page(request: Request, console: ConsoleDep, group_id: int) -> Response:
    """The group type, weekday themes and daily slots, the month's plan and the posts scheduled."""
    console.require("groups:view")
    return _plan_page(request, console, group_id)


@router.post("/groups/{group_id:int}/plan")
async def plan_save(request: Request, console: PostDep, group_id: int) -> Response:
    """Save the group type, the weekday themes (a theme of the list or the shop's own) and the daily slots."""
    console.require("groups:manage")
    raw = await request.form()
    form = _read_plan_form(raw)
    themes = [t["text"].strip() if t["pick"] == CUSTOM_THEME else t["pick"] for t in form["themes"]]
    try:
        if form["group_type"] not in domain.GROUP_TYPES:
            raise _refuse("请选择群类型", "choose a group type", "group_type")
        with transaction(factory_of(request), write=True) as session:
            by = console.principal.actor
            plans.save_plan(session, by=by, group_id=group_id, weekday_themes=themes, slots=form["slots"])
            group = get_group(session, shop_id=console.shop.id, group_id=group_id)
            if group.group_type != form["group_type"]:
                spec = GroupSpec(group.name, group.goal, group.min_spend_fen, form["group_type"], group.description)
                update_group(session, by=by, group_id=group_id, spec=spec)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _plan_page(
            request, console, group_id, plan_form=form, plan_error=exc.message(console.lang), status_code=exc.status
        )
    return RedirectResponse(f"/groups/{group_id}/plan?done=plan", status_code=303)


def _days(text: str, zh: str, en: str) -> list[int] | None:
    """Empty: the seed's default days; "0": none; otherwise day numbers separated by commas or spaces."""
    value = text.strip()
    if not value:
        return None
    if value in ("0", "-"):
        return []
    parts = [p for p in _DAYS.split(value) if p]
    if not all(p.isdigit() and len(p) <= 2 for p in parts):
        raise _refuse(
            f"{zh}请填写日期数字，用逗号分隔（例如 5, 15, 25）",
            f"{en}: enter day numbers separated by commas (e.g. 5, 15, 25)",
            "group_plan_day",
        )
    return [int(p) for p in parts]


@router.post("/groups/{group_id:int}/plan/month")
async def plan_month(request: Request, console: PostDep, group_id: int) -> Response:
    """Turn a month of the content calendar into scheduled posts (times still ahead)."""
    console.require("groups:manage")
    raw = await request.form()
    form = {k: str(raw.get(k) or "") for k in ("year", "month", "themed_days", "lottery_days")}
    try:
        year = _whole(form["year"], "年份", "the year", at_most=9999)
        month = _whole(form["month"], "月份", "the month", at_most=99)
        themed = _days(form["themed_days"], "主题活动日", "themed-activity days")
        lottery = _days(form["lottery_days"], "抽奖日", "lottery days")
        with transaction(factory_of(request), write=True) as session:
            count = plans.schedule_month(
                session,
                by=console.principal.actor,
                group_id=group_id,
                year=year,
                month=month,
                themed_days=themed,
                lottery_days=lottery,
            )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _plan_page(
            request, console, group_id, month_form=form, month_error=exc.message(console.lang), status_code=exc.status
        )
    return RedirectResponse(f"/groups/{group_id}/plan?done=month&n={count}#upcoming", status_code=303)


@router.post("/groups/{group_id:int}/plan/posts")
async def plan_post(request: Request, console: PostDep, group_id: int) -> Response:
    """A post of the merchant's own, published by the worker at a shop-time moment."""
    console.require("groups:manage")
    raw = await request.form()
    form = {k: str(raw.get(k) or "") for k in ("publish_at", "text", "at_all")}
    try:
        at = _local(form["publish_at"], console.zone, "发布时间", "publishing time")
        with transaction(factory_of(request), write=True) as session:
            plans.schedule_post(
                session,
                by=console.principal.actor,
                group_id=group_id,
                publish_at=at,
                text=form["text"],
                at_all=bool(form["at_all"]),
            )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _plan_page(
            request, console, group_id, post_form=form, post_error=exc.message(console.lang), status_code=exc.status
        )
    return RedirectResponse(f"/groups/{group_id}/plan?done=post#upcoming", status_code=303)


@router.post("/groups/{group_id:int}/plan/posts/{scheduled_id:int}/cancel")
def plan_post_cancel(request: Request, console: PostDep, group_id: int, scheduled_id: int) -> Response:
    """Cancel a scheduled post that is not published yet."""
    console.require("groups:manage")
    try:
        with transaction(factory_of(request), write=True) as session:
            get_group(session, shop_id=console.shop.id, group_id=group_id)
            row = plans.cancel_scheduled(session, by=console.principal.actor, scheduled_id=scheduled_id)
            if row.group_id != group_id:
                raise NotFound("定时内容", "scheduled post")
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _plan_page(request, console, group_id, action_error=exc.message(console.lang), status_code=exc.status)
    return RedirectResponse(f"/groups/{group_id}/plan?done=cancelled#upcoming", status_code=303)


# ---- group data ----------------------------------------------------------------------------------------
@router.get("/groups/{group_id:int}/data")
def data_page(request: Request, console: ConsoleDep, group_id: int) -> Response:
    """Members, active members, joins and leaves, orders and GMV from members, per sub-group, with charts."""
    console.require("groups:view")
    with transaction(factory_of(request)) as session:
        group = get_group(session, shop_id=console.shop.id, group_id=group_id)
        data = queries.group_data(session, group=group, zone=console.zone)
        session.expunge_all()
    lang = console.lang
    series = {
        "days": [d[5:] for d in data.days],
        "joins": data.joins_per_day,
        "leaves": data.leaves_per_day,
        "subs": [s.name for s in data.sub_groups],
        "members": [s.members for s in data.sub_groups],
        "capacity": [s.capacity for s in data.sub_groups],
    }
    text = {
        "joins": gettext(lang, "Joins"),
        "leaves": gettext(lang, "Leaves"),
        "members": gettext(lang, "Group members"),
        "capacity": gettext(lang, "Capacity"),
    }
    return render(
        request,
        "groups/tools_data.html",
        console=console,
        group=group,
        tab="data",
        data=data,
        series=series,
        chart_text=text,
        kinds=activities.KINDS,
        active_days=queries.ACTIVE_DAYS,
        days=len(data.days),
    )
