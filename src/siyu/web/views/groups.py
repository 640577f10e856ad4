"""Group chats (社群管理, issue #6): the shop's groups against the shop limits and creating one, and a
group's tabs — overview (sub-groups and their admins, edit, close / open), members (search, kick up to
10 at once, KOL), messages (read, answer, remove), essentials (群精华 with @all, FAQ, daily notes, group
rules) and the moderation rules with the group's allowed link hosts.

Group-level changes (create, edit, close, admins, essentials, rules, hosts) need ``groups:manage``;
member-level ones (kick, KOL, answer, remove a message) need ``groups:view`` and are then decided by the
services: the shop's main account, staff with ``groups:manage`` or an admin of that sub-group.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from html import escape
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.core.errors import DomainError, InvalidInput, NotFound
from siyu.core.money import parse_yuan
from siyu.customers.models import Customer
from siyu.db import transaction
from siyu.groups import cards, domain, milestones, queries, services
from siyu.groups.models import Group, GroupPost, ModerationRule, SubGroup, SubGroupAdmin
from siyu.shops.services import list_staff
from siyu.web.context import Console, ConsoleDep, PostDep, factory_of
from siyu.web.i18n import gettext
from siyu.web.templating import render

router = APIRouter()

GROUP_FIELDS = ("name", "goal", "min_spend", "group_type", "description", "sub_groups", "capacity")
MEMBER_STATUSES = ("active", "left", "kicked")
RULE_KINDS = domain.MODERATION_KINDS
RULE_ACTIONS = domain.ACTIONS
PINNED_KINDS = services.PINNED_KINDS
PER_PAGE = 50
TABS = ("overview", "members", "posts", "essentials", "rules")
NOTICES = {
    "created": "The group is created.",
    "saved": "Changes saved.",
    "closed": "The group is closed to new members and posts.",
    "opened": "The group is open again.",
    "admins": "Admins saved.",
    "kicked": "Members removed; they cannot rejoin this group.",
    "kol": "KOL mark saved.",
    "posted": "Message sent.",
    "removed": "Post removed.",
    "pinned": "Published.",
    "rule": "Rule added.",
    "unrule": "Rule removed.",
    "hosts": "Allowed link hosts saved.",
    "milestone": "Milestone added.",
    "card": "Card posted.",
    "unmilestone": "Milestone deleted.",
}
MILESTONE_FIELDS = ("members", "action", "text", "budget", "packets")
CARD_FIELDS = ("kind", "name", "sku", "price", "list_price", "image_url", "text", "sub_group_id")


def _id(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


async def _form(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    raw = await request.form()
    return {name: str(raw.get(name) or "") for name in names}


def _notice(request: Request, console: Console, error: str) -> str:
    done = request.query_params.get("done", "")
    return gettext(console.lang, NOTICES[done]) if done in NOTICES and not error else ""


# ---- the group form ------------------------------------------------------------------------------------
def _defaults() -> dict[str, str]:
    return {
        "name": "",
        "goal": "new",
        "min_spend": "",
        "group_type": "welfare",
        "description": "",
        "sub_groups": str(domain.SUBGROUPS_PER_GROUP),
        "capacity": str(domain.SUBGROUP_CAPACITY),
    }


def _form_of(group: Group) -> dict[str, str]:
    spend = ""
    if group.min_spend_fen:
        yuan, fen = divmod(group.min_spend_fen, 100)
        spend = f"{yuan}.{fen:02d}" if fen else str(yuan)
    return {
        "name": group.name,
        "goal": group.goal,
        "min_spend": spend,
        "group_type": group.group_type,
        "description": group.description,
        "sub_groups": "",
        "capacity": "",
    }


def _parse(form: dict[str, str], lang: str, *, sizes: bool) -> tuple[services.GroupSpec | None, dict[str, str]]:
    """The spec typed into the group form; the minimum spend is yuan, turned into fen exactly (Decimal)."""
    errors: dict[str, str] = {}
    spend = 0
    text = form["min_spend"].strip()
    if form["goal"] == "high_value" and text:  # other goals have no threshold (the services store 0)
        try:
            spend = parse_yuan(text) if len(text) <= 16 else 0
        except ValueError:
            text = ""
        if not text or len(text) > 16:
            errors["min_spend"] = gettext(lang, "Enter an amount in yuan with at most 2 decimals.")
    numbers = {"sub_groups": domain.SUBGROUPS_PER_GROUP, "capacity": domain.SUBGROUP_CAPACITY}
    if sizes:
        for name in numbers:
            value = form[name].strip()
            if not value.isdigit() or len(value) > 7:
                errors[name] = gettext(lang, "Enter a whole number.")
            else:
                numbers[name] = int(value)
    if errors:
        return None, errors
    spec = services.GroupSpec(
        name=form["name"],
        goal=form["goal"],
        min_spend_fen=spend,
        group_type=form["group_type"],
        description=form["description"],
        sub_groups=numbers["sub_groups"],
        capacity=numbers["capacity"],
    )
    return spec, {}


# ---- the group list ------------------------------------------------------------------------------------
def _totals(session: Session, shop_id: int) -> dict[int, tuple[int, int, int]]:
    """(sub-groups, members, capacity) per group of the shop."""
    rows = session.execute(
        select(SubGroup.group_id, func.count(), func.sum(SubGroup.member_count), func.sum(SubGroup.capacity))
        .where(SubGroup.shop_id == shop_id)
        .group_by(SubGroup.group_id)
    )
    return {int(gid): (int(n), int(members or 0), int(seats or 0)) for gid, n, members, seats in rows}


def _index(
    request: Request,
    console: Console,
    form: dict[str, str] | None = None,
    *,
    errors: dict[str, str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    with transaction(factory_of(request)) as session:
        groups = services.list_groups(session, shop_id=console.shop.id)
        totals = _totals(session, console.shop.id)
        n_groups, n_subs, n_fans = queries.shop_overview(session, shop_id=console.shop.id)
        seats = sum(t[2] for t in totals.values())
        return render(
            request,
            "groups/index.html",
            console=console,
            status_code=status_code,
            groups=groups,
            totals=totals,
            overview={"groups": n_groups, "sub_groups": n_subs, "fans": n_fans, "seats": seats},
            limits={
                "groups": domain.MAX_GROUPS_PER_SHOP,
                "sub_groups": domain.MAX_SUBGROUPS_PER_SHOP,
                "fans": domain.MAX_FANS_PER_SHOP,
            },
            goals=domain.GOALS,
            group_types=domain.GROUP_TYPES,
            form=form or _defaults(),
            errors=errors or {},
            error=error,
            notice=_notice(request, console, error),
            open_form=bool(error or errors or request.query_params.get("new")),
        )


@router.get("/groups")
def group_list(request: Request, console: ConsoleDep) -> Response:
    """The shop's groups with their members, capacity and entry link, the totals against the shop limits
    (10 groups, 100 sub-groups, 100,000 fans) and the form that creates a group."""
    console.require("groups:view")
    return _index(request, console)


@router.post("/groups")
async def group_create(request: Request, console: PostDep) -> Response:
    """Create a group with its sub-groups; refusals (limits included) come back with the typed input."""
    console.require("groups:manage")
    form = await _form(request, GROUP_FIELDS)
    spec, errors = _parse(form, console.lang, sizes=True)
    if spec is None:
        message = gettext(console.lang, "Some fields are not valid; see the marked fields.")
        return _index(request, console, form, errors=errors, error=message, status_code=400)
    try:
        with transaction(factory_of(request), write=True) as session:
            group_id = services.create_group(session, by=console.principal.actor, spec=spec).id
    except DomainError as exc:
        if exc.status == 403:
            raise
        return _index(request, console, form, error=exc.message(console.lang), status_code=exc.status)
    return RedirectResponse(f"/groups/{group_id}?done=created", status_code=303)


# ---- a group's tabs ------------------------------------------------------------------------------------
def _admin_subs(session: Session, console: Console, group_id: int) -> set[int]:
    return set(
        session.scalars(
            select(SubGroupAdmin.sub_group_id)
            .join(SubGroup, SubGroup.id == SubGroupAdmin.sub_group_id)
            .where(SubGroupAdmin.staff_id == console.staff.id, SubGroup.group_id == group_id)
        )
    )


def embed_snippet(url: str, title: str) -> str:
    """The HTML the merchant pastes into the shop home page or an activity page: the group module."""
    return (
        f'<iframe src="{escape(url)}" title="{escape(title)}" width="100%" height="150" loading="lazy" '
        'style="border:0;max-width:640px"></iframe>'
    )


def _common(request: Request, session: Session, console: Console, group: Group) -> dict[str, Any]:
    subs = services.sub_groups_of(session, group.id)
    admin_of = _admin_subs(session, console, group.id)
    base = str(request.base_url).rstrip("/")
    entry = f"/m/{console.shop.code}/g/{group.code}"
    return {
        "group": group,
        "subs": subs,
        "members_total": sum(s.member_count for s in subs),
        "capacity_total": sum(s.capacity for s in subs),
        "entry_path": entry,
        "entry_url": base + entry,
        "qr_url": f"{entry}/qr.svg",
        "embed_path": f"{entry}/embed",
        "embed_snippet": embed_snippet(base + entry + "/embed", group.name),
        "goals": domain.GOALS,
        "group_types": domain.GROUP_TYPES,
        "manage": console.allows("groups:manage"),
        # may act on members and messages: the services decide per sub-group
        "moderate": console.allows("groups:manage") or bool(admin_of),
        "owner": console.staff.is_main,
    }


def _overview(
    request: Request, session: Session, console: Console, group: Group, extra: dict[str, Any]
) -> dict[str, Any]:
    everyone = list_staff(session, shop_id=console.shop.id)
    staff = [s for s in everyone if not s.is_main and s.is_active]
    main = next((s for s in everyone if s.is_main), None)
    admins: dict[int, list[int]] = defaultdict(list)
    for sub_id, staff_id in session.execute(
        select(SubGroupAdmin.sub_group_id, SubGroupAdmin.staff_id)
        .join(SubGroup, SubGroup.id == SubGroupAdmin.sub_group_id)
        .where(SubGroup.group_id == group.id)
    ):
        admins[int(sub_id)].append(int(staff_id))
    names = {s.id: s.display_name or s.username for s in everyone}
    picked = extra.get("picked")  # the admins typed into a refused form: (sub-group id, staff ids)
    if picked is not None:
        admins[picked[0]] = list(picked[1])
    return {
        "staff": staff,
        "main": main,
        "admins": admins,
        "staff_names": names,
        "form": extra.get("form") or _form_of(group),
        "errors": extra.get("errors") or {},
        "milestones": milestones.list_milestones(session, shop_id=console.shop.id, group_id=group.id),
        "milestone_actions": milestones.ACTIONS,
        "milestone_form": extra.get("milestone_form") or {"action": "post"},
    }


def _member_params(source: Any) -> dict[str, str]:
    status = str(source.get("status", "active") or "")
    sub = str(source.get("sub", "") or "")
    page = str(source.get("page", "") or "")
    return {
        "q": str(source.get("q", "") or "")[:40],
        "sub": sub if _id(sub) is not None else "",
        "status": status if status in (*MEMBER_STATUSES, "all") else "active",
        "page": page if _id(page) else "1",
    }


def _members(
    request: Request, session: Session, console: Console, group: Group, extra: dict[str, Any]
) -> dict[str, Any]:
    params = extra.get("params") or _member_params(request.query_params)
    page = max(1, int(params["page"]))
    rows, total = queries.members(
        session,
        group_id=group.id,
        q=params["q"],
        sub_group_id=_id(params["sub"]),
        status="" if params["status"] == "all" else params["status"],
        page=page,
        per_page=PER_PAGE,
    )
    query = urlencode({k: v for k, v in params.items() if v and k != "page"})
    return {
        "params": params,
        "rows": rows,
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / PER_PAGE)),
        "query": query,
        "checked": set(extra.get("checked") or ()),
        "kick_at_most": domain.KICK_AT_MOST,
        "statuses": MEMBER_STATUSES,
    }


def _reason(post: GroupPost) -> tuple[str, str]:
    """(what broke, the offending part) of a removed post: a rule kind, "staff" or the staff's reason."""
    kind, sep, matched = post.removed_reason.partition(":")
    if sep and kind in RULE_KINDS:
        return kind, matched
    if post.removed_reason in ("", "staff"):
        return "staff", ""
    return "staff", post.removed_reason


def _posts(request: Request, session: Session, console: Console, group: Group, extra: dict[str, Any]) -> dict[str, Any]:
    show = request.query_params.get("show", "")
    show = show if show in ("removed",) else ""
    page = _id(request.query_params.get("page")) or 1
    query = (
        select(GroupPost, Customer, SubGroup.position)
        .outerjoin(Customer, Customer.id == GroupPost.customer_id)
        .outerjoin(SubGroup, SubGroup.id == GroupPost.sub_group_id)
        .where(GroupPost.group_id == group.id, GroupPost.kind == "message")
    )
    if show:
        query = query.where(GroupPost.status == "removed")
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    found = session.execute(query.order_by(GroupPost.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    posts = [
        {
            "post": post,
            "author": (customer.name or customer.account) if customer is not None else post.staff_name,
            "account": customer.account if customer is not None else "",
            "sub": position,
            "reason": _reason(post) if post.status == "removed" else None,
        }
        for post, customer, position in found
    ]
    return {
        "posts": posts,
        "show": show,
        "page": page,
        "pages": max(1, math.ceil(int(total) / PER_PAGE)),
        "total": int(total),
        "reply": extra.get("reply") or {"text": "", "sub_group_id": "", "at_all": ""},
        "card_form": extra.get("card_form") or {"kind": "new_arrival"},
        "card_kinds": cards.CARD_KINDS,
        "recent_cards": cards.list_cards(session, shop_id=console.shop.id, group_id=group.id, limit=5),
    }


def _essentials(
    request: Request, session: Session, console: Console, group: Group, extra: dict[str, Any]
) -> dict[str, Any]:
    forms = {kind: {"title": "", "text": "", "at_all": ""} for kind in PINNED_KINDS}
    forms.update(extra.get("forms") or {})
    return {"pinned": services.pinned_posts(session, group_id=group.id), "forms": forms, "kinds": PINNED_KINDS}


def _rules(request: Request, session: Session, console: Console, group: Group, extra: dict[str, Any]) -> dict[str, Any]:
    rules = list(
        session.scalars(
            select(ModerationRule).where(ModerationRule.shop_id == console.shop.id).order_by(ModerationRule.id)
        )
    )
    hosts = extra.get("hosts")
    return {
        "rules": rules,
        "rule_form": extra.get("rule_form") or {"kind": "keyword", "pattern": "", "action": "remove"},
        "rule_kinds": RULE_KINDS,
        "rule_actions": RULE_ACTIONS,
        "hosts": hosts if hosts is not None else "\n".join(group.allowed_hosts or []),
    }


BUILDERS = {
    "overview": _overview,
    "members": _members,
    "posts": _posts,
    "essentials": _essentials,
    "rules": _rules,
}


def _tab(
    request: Request,
    console: Console,
    group_id: int,
    tab: str,
    *,
    error: str = "",
    status_code: int = 200,
    **extra: Any,
) -> Response:
    with transaction(factory_of(request)) as session:
        group = services.get_group(session, shop_id=console.shop.id, group_id=group_id)
        values = _common(request, session, console, group)
        values.update(BUILDERS[tab](request, session, console, group, extra))
        return render(
            request,
            f"groups/{tab}.html",
            console=console,
            status_code=status_code,
            tab=tab,
            error=error,
            notice=_notice(request, console, error),
            **values,
        )


def _refused(request: Request, console: Console, group_id: int, tab: str, exc: DomainError, **extra: Any) -> Response:
    """A refusal shown on the tab it came from (not found still shows the not-found page)."""
    if exc.status == 404:
        raise exc
    return _tab(request, console, group_id, tab, error=exc.message(console.lang), status_code=exc.status, **extra)


@router.get("/groups/{group_id:int}")
def group_overview(request: Request, console: ConsoleDep, group_id: int) -> Response:
    """概览: the entry link and QR code, the sub-groups with their fill and admins, edit, close / open."""
    console.require("groups:view")
    return _tab(request, console, group_id, "overview")


@router.post("/groups/{group_id:int}/edit")
async def group_update(request: Request, console: PostDep, group_id: int) -> Response:
    """Change name, goal, threshold, type and description (sub-groups and capacity stay)."""
    console.require("groups:manage")
    form = await _form(request, GROUP_FIELDS)
    spec, errors = _parse(form, console.lang, sizes=False)
    if spec is None:
        message = gettext(console.lang, "Some fields are not valid; see the marked fields.")
        return _tab(request, console, group_id, "overview", error=message, status_code=400, form=form, errors=errors)
    try:
        with transaction(factory_of(request), write=True) as session:
            services.update_group(session, by=console.principal.actor, group_id=group_id, spec=spec)
    except DomainError as exc:
        return _refused(request, console, group_id, "overview", exc, form=form)
    return RedirectResponse(f"/groups/{group_id}?done=saved", status_code=303)


@router.post("/groups/{group_id:int}/status")
async def group_status(request: Request, console: PostDep, group_id: int) -> Response:
    """Close the group to new joins and posts, or open it again."""
    console.require("groups:manage")
    status = (await _form(request, ("status",)))["status"]
    try:
        with transaction(factory_of(request), write=True) as session:
            services.set_group_status(session, by=console.principal.actor, group_id=group_id, status=status)
    except DomainError as exc:
        return _refused(request, console, group_id, "overview", exc)
    return RedirectResponse(f"/groups/{group_id}?done={'closed' if status == 'closed' else 'opened'}", status_code=303)


@router.post("/groups/{group_id:int}/admins")
async def group_admins(request: Request, console: PostDep, group_id: int) -> Response:
    """The staff accounts that administer one sub-group (only the main account may choose them)."""
    console.require("groups:manage")
    raw = await request.form()
    sub_id = _id(raw.get("sub_group_id"))
    staff_ids = [n for n in (_id(v) for v in raw.getlist("staff_id")) if n is not None]
    try:
        with transaction(factory_of(request), write=True) as session:
            group = services.get_group(session, shop_id=console.shop.id, group_id=group_id)
            sub = session.get(SubGroup, sub_id) if sub_id is not None else None
            if sub is None or sub.group_id != group.id:
                raise NotFound("子群", "sub-group")
            services.set_admins(session, by=console.principal.actor, sub_group_id=sub.id, staff_ids=staff_ids)
    except DomainError as exc:
        return _refused(request, console, group_id, "overview", exc, picked=(sub_id, staff_ids))
    return RedirectResponse(f"/groups/{group_id}?done=admins#sub-{sub_id}", status_code=303)


@router.post("/groups/{group_id:int}/milestones")
async def group_milestone_add(request: Request, console: PostDep, group_id: int) -> Response:
    """A milestone rule: at N members, an @all announcement and optionally a red-packet rain (SPEC §7)."""
    console.require("groups:manage")
    form = await _form(request, MILESTONE_FIELDS)
    try:
        members = int(form["members"].replace(",", "").strip())
        budget = parse_yuan(form["budget"]) if form["action"] == "red_packet" else 0
        packets = int(form["packets"].strip() or 0) if form["action"] == "red_packet" else 0
    except ValueError:
        refused = InvalidInput(
            "人数、红包金额和个数须是数字", "members, budget and packets must be numbers", code="group_milestone_form"
        )
        return _refused(request, console, group_id, "overview", refused, milestone_form=form)
    spec = milestones.MilestoneSpec(members, form["text"], form["action"], budget, packets)
    try:
        with transaction(factory_of(request), write=True) as session:
            milestones.add_milestone(session, by=console.principal.actor, group_id=group_id, spec=spec)
    except DomainError as exc:
        return _refused(request, console, group_id, "overview", exc, milestone_form=form)
    return RedirectResponse(f"/groups/{group_id}?done=milestone#milestones", status_code=303)


@router.post("/groups/{group_id:int}/milestones/{milestone_id:int}/delete")
def group_milestone_delete(request: Request, console: PostDep, group_id: int, milestone_id: int) -> Response:
    console.require("groups:manage")
    try:
        with transaction(factory_of(request), write=True) as session:
            services.get_group(session, shop_id=console.shop.id, group_id=group_id)
            milestones.remove_milestone(session, by=console.principal.actor, milestone_id=milestone_id)
    except DomainError as exc:
        return _refused(request, console, group_id, "overview", exc)
    return RedirectResponse(f"/groups/{group_id}?done=unmilestone#milestones", status_code=303)


@router.get("/groups/{group_id:int}/members")
def group_members(request: Request, console: ConsoleDep, group_id: int) -> Response:
    """成员: search by name, JD account or phone tail, filter by sub-group and status, 50 a page."""
    console.require("groups:view")
    return _tab(request, console, group_id, "members")


def _members_url(group_id: int, params: dict[str, str], done: str) -> str:
    query = {k: v for k, v in params.items() if v and not (k == "page" and v == "1")}
    query["done"] = done
    return f"/groups/{group_id}/members?{urlencode(query)}"


@router.post("/groups/{group_id:int}/kick")
async def group_kick(request: Request, console: PostDep, group_id: int) -> Response:
    """Remove up to 10 members at once; they can never rejoin. Refusals show with the choice kept."""
    console.require("groups:view")  # the services allow the owner, groups:manage and the sub-group's admins
    raw = await request.form()
    params = _member_params(raw)
    chosen = [n for n in (_id(v) for v in raw.getlist("customer_id")) if n is not None]
    try:
        with transaction(factory_of(request), write=True) as session:
            services.kick_members(session, by=console.principal.actor, group_id=group_id, customer_ids=chosen)
    except DomainError as exc:
        return _refused(request, console, group_id, "members", exc, params=params, checked=chosen)
    return RedirectResponse(_members_url(group_id, params, "kicked"), status_code=303)


@router.post("/groups/{group_id:int}/kol")
async def group_kol(request: Request, console: PostDep, group_id: int) -> Response:
    """Mark an active member as the group's KOL (达人), or unmark them (value "customer id:1|0")."""
    console.require("groups:view")
    raw = await request.form()
    params = _member_params(raw)
    found = re.fullmatch(r"(\d{1,11}):([01])", str(raw.get("kol") or ""))
    try:
        if found is None:
            raise InvalidInput("请选择成员", "choose a member", code="group_kol")
        with transaction(factory_of(request), write=True) as session:
            services.mark_kol(
                session,
                by=console.principal.actor,
                group_id=group_id,
                customer_id=int(found[1]),
                is_kol=found[2] == "1",
            )
    except DomainError as exc:
        return _refused(request, console, group_id, "members", exc, params=params)
    return RedirectResponse(_members_url(group_id, params, "kol"), status_code=303)


@router.get("/groups/{group_id:int}/posts")
def group_posts(request: Request, console: ConsoleDep, group_id: int) -> Response:
    """消息: the group's messages, newest first, removed ones with why; the staff's answer box."""
    console.require("groups:view")
    return _tab(request, console, group_id, "posts")


@router.post("/groups/{group_id:int}/posts")
async def group_reply(request: Request, console: PostDep, group_id: int) -> Response:
    """A staff message into the group (every sub-group) or one sub-group."""
    console.require("groups:view")
    reply = await _form(request, ("text", "sub_group_id", "at_all"))
    try:
        with transaction(factory_of(request), write=True) as session:
            services.publish_post(
                session,
                by=console.principal.actor,
                group_id=group_id,
                kind="message",
                text=reply["text"],
                at_all=reply["at_all"] == "yes",
                sub_group_id=_id(reply["sub_group_id"]),
            )
    except DomainError as exc:
        return _refused(request, console, group_id, "posts", exc, reply=reply)
    return RedirectResponse(f"/groups/{group_id}/posts?done=posted", status_code=303)


@router.post("/groups/{group_id:int}/cards")
async def group_card(request: Request, console: PostDep, group_id: int) -> Response:
    """A daily operation card into the group: a new arrival, a recommendation or a poster (SPEC §7)."""
    console.require("groups:view")
    form = await _form(request, CARD_FIELDS)
    try:
        price = parse_yuan(form["price"])
        was = parse_yuan(form["list_price"]) if form["list_price"].strip() else 0
    except ValueError:
        refused = InvalidInput("请填写正确的价格（元）", "enter the prices in yuan", code="group_card_price")
        return _refused(request, console, group_id, "posts", refused, card_form=form)
    spec = cards.CardSpec(form["kind"], form["name"], price, was, form["sku"], form["image_url"], form["text"])
    try:
        with transaction(factory_of(request), write=True) as session:
            cards.publish_card(
                session,
                by=console.principal.actor,
                group_id=group_id,
                spec=spec,
                sub_group_id=_id(form["sub_group_id"]),
            )
    except DomainError as exc:
        return _refused(request, console, group_id, "posts", exc, card_form=form)
    return RedirectResponse(f"/groups/{group_id}/posts?done=card", status_code=303)


@router.post("/groups/{group_id:int}/posts/{post_id:int}/remove")
async def group_remove_post(request: Request, console: PostDep, group_id: int, post_id: int) -> Response:
    """Take a message (or a pinned post) out of sight, with an optional reason."""
    console.require("groups:view")
    form = await _form(request, ("reason", "back"))
    back = "essentials" if form["back"] == "essentials" else "posts"
    try:
        with transaction(factory_of(request), write=True) as session:
            post = session.get(GroupPost, post_id)
            if post is None or post.group_id != group_id or post.shop_id != console.shop.id:
                raise NotFound("消息", "post")
            services.remove_post(session, by=console.principal.actor, post_id=post_id, reason=form["reason"][:120])
    except DomainError as exc:
        return _refused(request, console, group_id, back, exc)
    return RedirectResponse(f"/groups/{group_id}/{back}?done=removed", status_code=303)


@router.get("/groups/{group_id:int}/essentials")
def group_essentials(request: Request, console: ConsoleDep, group_id: int) -> Response:
    """群精华: essentials (with @all), FAQ, daily activity notes and group rules, pinned for members."""
    console.require("groups:view")
    return _tab(request, console, group_id, "essentials")


@router.post("/groups/{group_id:int}/essentials")
async def group_pin(request: Request, console: PostDep, group_id: int) -> Response:
    """Publish one pinned post of a kind: essential, FAQ, daily note or rule."""
    console.require("groups:manage")
    form = await _form(request, ("kind", "title", "text", "at_all"))
    kind = form["kind"] if form["kind"] in PINNED_KINDS else "essential"
    typed = {"title": form["title"], "text": form["text"], "at_all": form["at_all"]}
    try:
        with transaction(factory_of(request), write=True) as session:
            services.publish_post(
                session,
                by=console.principal.actor,
                group_id=group_id,
                kind=kind,
                title=form["title"],
                text=form["text"],
                at_all=form["at_all"] == "yes",
            )
    except DomainError as exc:
        return _refused(request, console, group_id, "essentials", exc, forms={kind: typed})
    return RedirectResponse(f"/groups/{group_id}/essentials?done=pinned#{kind}", status_code=303)


@router.get("/groups/{group_id:int}/rules")
def group_rules(request: Request, console: ConsoleDep, group_id: int) -> Response:
    """群规: the shop's moderation rules (keywords, outside links, ads) and this group's allowed hosts."""
    console.require("groups:view")
    return _tab(request, console, group_id, "rules")


@router.post("/groups/{group_id:int}/rules")
async def group_rule_add(request: Request, console: PostDep, group_id: int) -> Response:
    """Add a moderation rule (it applies to every group of the shop)."""
    console.require("groups:manage")
    form = await _form(request, ("kind", "pattern", "action"))
    try:
        with transaction(factory_of(request), write=True) as session:
            services.get_group(session, shop_id=console.shop.id, group_id=group_id)
            # the domain's own check first: a keyword of punctuation only would pass add_rule but break
            # every later post of the shop (shop_rules builds domain rules from the rows)
            keyword = form["pattern"].strip() if form["kind"] == "keyword" else ""
            domain.ModerationRule(kind=form["kind"], pattern=keyword, action=form["action"])
            services.add_rule(
                session, by=console.principal.actor, kind=form["kind"], pattern=form["pattern"], action=form["action"]
            )
    except DomainError as exc:
        return _refused(request, console, group_id, "rules", exc, rule_form=form)
    return RedirectResponse(f"/groups/{group_id}/rules?done=rule", status_code=303)


@router.post("/groups/{group_id:int}/rules/{rule_id:int}/remove")
def group_rule_remove(request: Request, console: PostDep, group_id: int, rule_id: int) -> Response:
    console.require("groups:manage")
    try:
        with transaction(factory_of(request), write=True) as session:
            services.get_group(session, shop_id=console.shop.id, group_id=group_id)
            services.remove_rule(session, by=console.principal.actor, rule_id=rule_id)
    except DomainError as exc:
        return _refused(request, console, group_id, "rules", exc)
    return RedirectResponse(f"/groups/{group_id}/rules?done=unrule", status_code=303)


@router.post("/groups/{group_id:int}/hosts")
async def group_hosts(request: Request, console: PostDep, group_id: int) -> Response:
    """The link hosts members may post in this group, one per line (or separated by commas or spaces)."""
    console.require("groups:manage")
    text = (await _form(request, ("hosts",)))["hosts"]
    hosts = [h for h in re.split(r"[\s,，、;；]+", text) if h]
    try:
        with transaction(factory_of(request), write=True) as session:
            services.set_allowed_hosts(session, by=console.principal.actor, group_id=group_id, hosts=hosts)
    except DomainError as exc:
        return _refused(request, console, group_id, "rules", exc, hosts=text)
    return RedirectResponse(f"/groups/{group_id}/rules?done=hosts", status_code=303)
