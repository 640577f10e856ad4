"""Group chats (社群): groups and sub-groups, members (join, leave, kick), posts and moderation rules, group
activities, growth levels, operating plans and group data. Money in fen; times with an offset."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from siyu.api.deps import SessionDep, require
from siyu.groups import activities, cards, domain, growth, joining, milestones, plans, queries, services
from siyu.groups.models import Group
from siyu.shops.models import Shop
from siyu.shops.services import Principal, shop_zone

router = APIRouter(tags=["groups"])
Viewer = Annotated[Principal, Depends(require("groups:view"))]
Manager = Annotated[Principal, Depends(require("groups:manage"))]


class GroupIn(BaseModel):
    name: str = Field(min_length=1, max_length=60)
    goal: Literal["new", "fans", "members", "high_value"] = "new"
    min_spend_fen: int = Field(default=0, ge=0)
    group_type: str = Field(default="welfare", max_length=12)
    description: str = Field(default="", max_length=300)
    sub_groups: int = Field(default=domain.SUBGROUPS_PER_GROUP, ge=1, le=domain.SUBGROUPS_PER_GROUP)
    capacity: int = Field(default=domain.SUBGROUP_CAPACITY, ge=1, le=domain.SUBGROUP_CAPACITY)

    def spec(self) -> services.GroupSpec:
        return services.GroupSpec(**self.model_dump())


class StatusIn(BaseModel):
    status: Literal["active", "closed"]


class CustomerIn(BaseModel):
    customer_id: int


class KickIn(BaseModel):
    customer_ids: list[int] = Field(min_length=1, max_length=domain.KICK_AT_MOST)


class AdminsIn(BaseModel):
    staff_ids: list[int] = Field(default_factory=list, max_length=10)


class PostIn(BaseModel):
    kind: Literal["message", "essential", "faq", "note", "rule"] = "message"
    text: str = Field(min_length=1, max_length=2000)
    title: str = Field(default="", max_length=60)
    at_all: bool = False
    sub_group_id: int | None = None


class RuleIn(BaseModel):
    kind: Literal["keyword", "link", "ad"]
    pattern: str = Field(default="", max_length=60)
    action: Literal["warn", "remove", "kick"] = "remove"


class MilestoneIn(BaseModel):
    members: int = Field(ge=1, le=domain.SUBGROUPS_PER_GROUP * domain.SUBGROUP_CAPACITY)
    text: str = Field(min_length=1, max_length=milestones.TEXT_MAX, description="the @all announcement")
    action: Literal["post", "red_packet"] = "post"
    budget_fen: int = Field(default=0, ge=0, description="red_packet: the rain's budget")
    packets: int = Field(default=0, ge=0, le=10_000)


class CardIn(BaseModel):
    kind: Literal["new_arrival", "recommend", "poster"]
    name: str = Field(min_length=1, max_length=cards.NAME_MAX)
    price_fen: int = Field(ge=1)
    list_price_fen: int = Field(default=0, ge=0)
    sku: str = Field(default="", max_length=cards.SKU_MAX)
    image_url: str = Field(default="", max_length=cards.IMAGE_MAX)
    text: str = Field(default="", max_length=cards.TEXT_MAX)
    sub_group_id: int | None = None


class FlashItemIn(BaseModel):
    sku: str = Field(min_length=1, max_length=40)
    name: str = Field(default="", max_length=120)
    category: str = Field(default="", max_length=100)
    list_price_fen: int = Field(ge=1)
    price_fen: int = Field(ge=1)
    stock: int = Field(ge=1, le=1_000_000)


class ActivityIn(BaseModel):
    kind: Literal["flash_sale", "red_packet", "coupon", "guess"]
    name: str = Field(min_length=1, max_length=60)
    starts_at: datetime = Field(description="with an offset, e.g. 2026-12-12T20:00:00+08:00")
    ends_at: datetime
    items: list[FlashItemIn] = Field(default_factory=list, max_length=domain.FLASH_SALE_MAX_SKUS)
    budget_fen: int = Field(default=0, ge=0)
    packets: int = Field(default=0, ge=0)
    rounds: int = Field(default=1, ge=1, le=activities.ROUNDS_AT_MOST)
    coupon_template_id: int | None = None
    guess_sku: str = Field(default="", max_length=40)
    guess_name: str = Field(default="", max_length=120)
    guess_price_fen: int = Field(default=0, ge=0)
    guess_tolerance_pct: int = Field(default=0, ge=0, le=50)

    def spec(self) -> activities.ActivitySpec:
        values = self.model_dump(exclude={"items"})
        items = [activities.FlashItemSpec(**i.model_dump()) for i in self.items]
        return activities.ActivitySpec(items=items, **values)


class FloorIn(BaseModel):
    category: str = Field(default="", max_length=100)
    min_discount_pct: int = Field(ge=1, le=100)


class LevelIn(BaseModel):
    name: str = Field(min_length=1, max_length=30)
    min_growth: int = Field(ge=0)
    benefits: str = Field(default="", max_length=300)


class PlanIn(BaseModel):
    weekday_themes: list[str] = Field(min_length=7, max_length=7)
    slots: list[str] = Field(min_length=1, max_length=8)


class MonthIn(BaseModel):
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)
    themed_days: list[int] | None = None
    lottery_days: list[int] | None = None


def _group_out(session: SessionDep, group: Group) -> dict[str, Any]:
    subs = services.sub_groups_of(session, group.id)
    return {
        "id": group.id,
        "code": group.code,
        "name": group.name,
        "goal": group.goal,
        "min_spend_fen": group.min_spend_fen,
        "group_type": group.group_type,
        "description": group.description,
        "status": group.status,
        "allowed_hosts": group.allowed_hosts,
        "members": sum(s.member_count for s in subs),
        "capacity": sum(s.capacity for s in subs),
        "sub_groups": [
            {"id": s.id, "position": s.position, "name": s.name, "capacity": s.capacity, "members": s.member_count}
            for s in subs
        ],
    }


# ---- groups --------------------------------------------------------------------------------------------
@router.get("/groups")
def list_groups(session: SessionDep, principal: Viewer) -> dict[str, Any]:
    """The shop's groups and its totals against the limits (10 groups, 100 sub-groups, 100,000 fans)."""
    groups, subs, fans = queries.shop_overview(session, shop_id=principal.shop_id)
    return {
        "groups": [_group_out(session, g) for g in services.list_groups(session, shop_id=principal.shop_id)],
        "totals": {"groups": groups, "sub_groups": subs, "members": fans},
        "limits": {
            "groups": domain.MAX_GROUPS_PER_SHOP,
            "sub_groups": domain.MAX_SUBGROUPS_PER_SHOP,
            "members": domain.MAX_FANS_PER_SHOP,
        },
    }


@router.post("/groups", status_code=201)
def create_group(session: SessionDep, principal: Manager, body: GroupIn) -> dict[str, Any]:
    """A group with its sub-groups (10 of 1,000 by default)."""
    return _group_out(session, services.create_group(session, by=principal.actor, spec=body.spec()))


@router.get("/groups/{group_id}")
def get_group(session: SessionDep, principal: Viewer, group_id: int) -> dict[str, Any]:
    return _group_out(session, services.get_group(session, shop_id=principal.shop_id, group_id=group_id))


@router.put("/groups/{group_id}")
def update_group(session: SessionDep, principal: Manager, group_id: int, body: GroupIn) -> dict[str, Any]:
    """Name, goal, threshold, type and description (sub-groups stay)."""
    return _group_out(session, services.update_group(session, by=principal.actor, group_id=group_id, spec=body.spec()))


@router.post("/groups/{group_id}/status")
def set_status(session: SessionDep, principal: Manager, group_id: int, body: StatusIn) -> dict[str, Any]:
    group = services.set_group_status(session, by=principal.actor, group_id=group_id, status=body.status)
    return _group_out(session, group)


@router.put("/sub-groups/{sub_group_id}/admins")
def set_admins(session: SessionDep, principal: Manager, sub_group_id: int, body: AdminsIn) -> dict[str, Any]:
    """The staff accounts that administer a sub-group."""
    staff = services.set_admins(session, by=principal.actor, sub_group_id=sub_group_id, staff_ids=body.staff_ids)
    return {"sub_group_id": sub_group_id, "staff_ids": staff}


# ---- members -------------------------------------------------------------------------------------------
@router.get("/groups/{group_id}/members")
def list_members(
    session: SessionDep,
    principal: Viewer,
    group_id: int,
    q: str = Query("", max_length=40),
    status: Literal["active", "left", "kicked", ""] = "active",
    page: int = Query(1, ge=1, le=10_000),
) -> dict[str, Any]:
    """Members searched by name, account or phone tail (phones masked)."""
    services.get_group(session, shop_id=principal.shop_id, group_id=group_id)
    rows, total = queries.members(session, group_id=group_id, q=q, status=status, page=page)
    return {"total": total, "page": page, "members": [asdict(r) for r in rows]}


@router.post("/groups/{group_id}/join")
def join(session: SessionDep, principal: Manager, group_id: int, body: CustomerIn) -> dict[str, Any]:
    """Put a buyer into the group (e.g. from the shop's own app): the first sub-group not full."""
    seat = joining.join_group(session, by=principal.actor, group_id=group_id, customer_id=body.customer_id)
    return {"sub_group_id": seat.sub_group_id, "position": seat.position, "already": seat.already}


@router.post("/groups/{group_id}/leave", status_code=204)
def leave(session: SessionDep, principal: Manager, group_id: int, body: CustomerIn) -> Response:
    services.leave_group(session, by=principal.actor, group_id=group_id, customer_id=body.customer_id)
    return Response(status_code=204)


@router.post("/groups/{group_id}/kick")
def kick(session: SessionDep, principal: Manager, group_id: int, body: KickIn) -> dict[str, Any]:
    """Remove up to 10 buyers; they can never rejoin this group."""
    return {
        "kicked": services.kick_members(session, by=principal.actor, group_id=group_id, customer_ids=body.customer_ids)
    }


# ---- posts and rules -----------------------------------------------------------------------------------
def _post_out(post: Any) -> dict[str, Any]:
    return {
        "id": post.id,
        "kind": post.kind,
        "sub_group_id": post.sub_group_id,
        "author_kind": post.author_kind,
        "customer_id": post.customer_id,
        "staff_name": post.staff_name,
        "title": post.title,
        "text": post.text,
        "at_all": post.at_all,
        "status": post.status,
        "removed_reason": post.removed_reason,
        "created_at": post.created_at,
    }


@router.get("/groups/{group_id}/posts")
def list_posts(
    session: SessionDep, principal: Viewer, group_id: int, after: int = Query(0, ge=0), sub_group_id: int | None = None
) -> dict[str, Any]:
    """Visible chat messages newer than ``after`` (poll with the last id) and the pinned posts."""
    services.get_group(session, shop_id=principal.shop_id, group_id=group_id)
    posts = services.posts_after(session, group_id=group_id, sub_group_id=sub_group_id, after_id=after)
    pinned = services.pinned_posts(session, group_id=group_id)
    return {
        "messages": [_post_out(p) for p in posts],
        "pinned": {k: [_post_out(p) for p in v] for k, v in pinned.items()},
    }


@router.post("/groups/{group_id}/posts", status_code=201)
def publish(session: SessionDep, principal: Manager, group_id: int, body: PostIn) -> dict[str, Any]:
    """A staff answer in the chat, or a pinned essential (with @all), FAQ, daily note or rule."""
    post = services.publish_post(session, by=principal.actor, group_id=group_id, **body.model_dump())
    return _post_out(post)


@router.get("/group-rules")
def list_rules(session: SessionDep, principal: Viewer) -> list[dict[str, Any]]:
    """The shop's moderation rules (keywords, outside links, ads) and what breaking each costs."""
    rows = services.list_rules(session, shop_id=principal.shop_id)
    return [{"id": r.id, "kind": r.kind, "pattern": r.pattern, "action": r.action} for r in rows]


@router.post("/group-rules", status_code=201)
def add_rule(session: SessionDep, principal: Manager, body: RuleIn) -> dict[str, Any]:
    rule = services.add_rule(session, by=principal.actor, kind=body.kind, pattern=body.pattern, action=body.action)
    return {"id": rule.id, "kind": rule.kind, "pattern": rule.pattern, "action": rule.action}


@router.delete("/group-rules/{rule_id}", status_code=204)
def remove_rule(session: SessionDep, principal: Manager, rule_id: int) -> Response:
    services.remove_rule(session, by=principal.actor, rule_id=rule_id)
    return Response(status_code=204)


# ---- daily operation cards -----------------------------------------------------------------------------
def _card_out(card: Any, shop_code: str, group_code: str) -> dict[str, Any]:
    return {
        "id": card.id,
        "group_id": card.group_id,
        "post_id": card.post_id,
        "kind": card.kind,
        "name": card.name,
        "sku": card.sku,
        "price_fen": card.price_fen,
        "list_price_fen": card.list_price_fen,
        "image_url": card.image_url,
        "text": card.text,
        "poster": f"/m/{shop_code}/g/{group_code}/cards/{card.id}/poster.svg" if card.kind == "poster" else None,
    }


@router.get("/groups/{group_id}/cards")
def list_cards(session: SessionDep, principal: Viewer, group_id: int) -> list[dict[str, Any]]:
    """The group's latest daily operation cards (new arrivals, recommendations, posters)."""
    group = services.get_group(session, shop_id=principal.shop_id, group_id=group_id)
    shop_code = _shop_code(session, principal.shop_id)
    rows = cards.list_cards(session, shop_id=principal.shop_id, group_id=group_id)
    return [_card_out(c, shop_code, group.code) for c in rows]


@router.post("/groups/{group_id}/cards", status_code=201)
def post_card(session: SessionDep, principal: Manager, group_id: int, body: CardIn) -> dict[str, Any]:
    """Post a card into the group (or one sub-group): a chat message with the product; a poster is also an
    image with the product, its price and the group's QR code."""
    values = body.model_dump()
    sub_group_id = values.pop("sub_group_id")
    card = cards.publish_card(
        session, by=principal.actor, group_id=group_id, spec=cards.CardSpec(**values), sub_group_id=sub_group_id
    )
    group = services.get_group(session, shop_id=principal.shop_id, group_id=group_id)
    return _card_out(card, _shop_code(session, principal.shop_id), group.code)


def _shop_code(session: SessionDep, shop_id: int) -> str:
    return session.get_one(Shop, shop_id).code


# ---- milestones ----------------------------------------------------------------------------------------
def _milestone_out(m: Any) -> dict[str, Any]:
    return {
        "id": m.id,
        "group_id": m.group_id,
        "members": m.members,
        "action": m.action,
        "text": m.text,
        "budget_fen": m.budget_fen,
        "packets": m.packets,
        "reached_at": m.reached_at.isoformat() if m.reached_at else None,
        "activity_id": m.activity_id,
        "outcome": m.outcome,
    }


@router.get("/groups/{group_id}/milestones")
def list_milestones(session: SessionDep, principal: Viewer, group_id: int) -> list[dict[str, Any]]:
    """The group's milestone rules: at N members, an @all announcement (and a red-packet rain)."""
    return [
        _milestone_out(m) for m in milestones.list_milestones(session, shop_id=principal.shop_id, group_id=group_id)
    ]


@router.post("/groups/{group_id}/milestones", status_code=201)
def add_milestone(session: SessionDep, principal: Manager, group_id: int, body: MilestoneIn) -> dict[str, Any]:
    spec = milestones.MilestoneSpec(**body.model_dump())
    return _milestone_out(milestones.add_milestone(session, by=principal.actor, group_id=group_id, spec=spec))


@router.delete("/group-milestones/{milestone_id}", status_code=204)
def remove_milestone(session: SessionDep, principal: Manager, milestone_id: int) -> Response:
    milestones.remove_milestone(session, by=principal.actor, milestone_id=milestone_id)
    return Response(status_code=204)


# ---- activities ----------------------------------------------------------------------------------------
def _activity_out(session: SessionDep, activity: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": activity.id,
        "group_id": activity.group_id,
        "kind": activity.kind,
        "name": activity.name,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "status": activity.status,
        "config": activity.config,
    }
    if activity.kind == "flash_sale":
        out["items"] = [
            {
                "id": i.id,
                "sku": i.sku,
                "name": i.name,
                "price_fen": i.price_fen,
                "list_price_fen": i.list_price_fen,
                "stock": i.stock,
                "sold": i.sold,
            }
            for i in activities.flash_items(session, activity.id)
        ]
    if activity.kind == "red_packet":
        taken, paid, budget = activities.red_packet_totals(session, activity.id)
        out.update(
            rounds=activity.rounds,
            budget_fen=activity.budget_fen,
            packets=activity.packets,
            taken=taken,
            paid_fen=paid,
            budgeted_fen=budget,
        )
    if activity.kind == "coupon":
        out["coupon_template_id"] = activity.coupon_template_id
    return out


@router.get("/groups/{group_id}/activities")
def list_activities(session: SessionDep, principal: Viewer, group_id: int) -> list[dict[str, Any]]:
    services.get_group(session, shop_id=principal.shop_id, group_id=group_id)
    return [
        _activity_out(session, a)
        for a in activities.list_activities(session, shop_id=principal.shop_id, group_id=group_id)
    ]


@router.post("/groups/{group_id}/activities", status_code=201)
def create_activity(session: SessionDep, principal: Manager, group_id: int, body: ActivityIn) -> dict[str, Any]:
    """A flash sale, red-packet rain, group coupon or guess-the-price; at most 3 at the same time."""
    activity = activities.create_activity(session, by=principal.actor, group_id=group_id, spec=body.spec())
    return _activity_out(session, activity)


@router.post("/group-activities/{activity_id}/cancel")
def cancel_activity(session: SessionDep, principal: Manager, activity_id: int) -> dict[str, Any]:
    return _activity_out(session, activities.cancel_activity(session, by=principal.actor, activity_id=activity_id))


@router.post("/group-activities/{activity_id}/rounds", status_code=201)
def open_round(session: SessionDep, principal: Manager, activity_id: int) -> dict[str, Any]:
    """Start the next round of a red-packet rain (its budget is split now)."""
    return {"round": activities.open_round(session, by=principal.actor, activity_id=activity_id)}


@router.get("/group-price-floors")
def get_floors(session: SessionDep, principal: Viewer) -> dict[str, Any]:
    shop_pct, categories = activities.price_floors(session, principal.shop_id)
    return {"shop_min_discount_pct": shop_pct, "categories": categories}


@router.put("/group-price-floors")
def put_floor(session: SessionDep, principal: Manager, body: FloorIn) -> dict[str, Any]:
    """The lowest group price as a share of list price, for the shop (category "") or one category."""
    activities.set_price_floor(
        session, by=principal.actor, category=body.category, min_discount_pct=body.min_discount_pct
    )
    return get_floors(session, principal)


# ---- growth levels, plans, data ------------------------------------------------------------------------
@router.get("/group-levels")
def get_levels(session: SessionDep, principal: Viewer) -> list[dict[str, Any]]:
    return [
        {"name": lv.name, "min_growth": lv.min_growth, "benefits": lv.benefits}
        for lv in growth.levels_of(session, principal.shop_id)
    ]


@router.put("/group-levels")
def put_levels(session: SessionDep, principal: Manager, body: list[LevelIn]) -> list[dict[str, Any]]:
    """Replace the growth levels (1–10, the first from 0, strictly increasing)."""
    growth.save_levels(session, by=principal.actor, levels=[domain.GrowthLevel(**lv.model_dump()) for lv in body])
    return get_levels(session, principal)


@router.get("/groups/{group_id}/plan")
def get_plan(session: SessionDep, principal: Viewer, group_id: int) -> dict[str, Any]:
    services.get_group(session, shop_id=principal.shop_id, group_id=group_id)
    plan = plans.plan_of(session, group_id=group_id)
    upcoming = plans.upcoming(session, group_id=group_id)
    return {
        "weekday_themes": plan.weekday_themes,
        "slots": plan.slots,
        "scheduled": [
            {"id": p.id, "publish_at": p.publish_at, "slot": p.slot, "theme": p.theme, "kind": p.kind, "text": p.text}
            for p in upcoming
        ],
    }


@router.put("/groups/{group_id}/plan")
def put_plan(session: SessionDep, principal: Manager, group_id: int, body: PlanIn) -> dict[str, Any]:
    plans.save_plan(
        session, by=principal.actor, group_id=group_id, weekday_themes=body.weekday_themes, slots=body.slots
    )
    return get_plan(session, principal, group_id)


@router.post("/groups/{group_id}/plan/month", status_code=201)
def plan_month(session: SessionDep, principal: Manager, group_id: int, body: MonthIn) -> dict[str, Any]:
    """Schedule the month's content calendar; the worker publishes each post on time."""
    count = plans.schedule_month(session, by=principal.actor, group_id=group_id, **body.model_dump())
    return {"scheduled": count}


@router.get("/groups/{group_id}/data")
def group_data(
    session: SessionDep, principal: Viewer, group_id: int, days: int = Query(30, ge=1, le=365)
) -> dict[str, Any]:
    """Members, joins and leaves per day, active members, activity participation, orders and GMV."""
    group = services.get_group(session, shop_id=principal.shop_id, group_id=group_id)
    found = queries.group_data(session, group=group, zone=shop_zone(session, principal.shop_id), days=days)
    return {
        "members": found.members,
        "capacity": found.capacity,
        "active": found.active,
        "joins": found.joins,
        "leaves": found.leaves,
        "orders": found.orders,
        "gmv_fen": found.gmv_fen,
        "buyers": found.buyers,
        "conversion": found.conversion,
        "days": found.days,
        "joins_per_day": found.joins_per_day,
        "leaves_per_day": found.leaves_per_day,
        "sub_groups": [asdict(s) for s in found.sub_groups],
        "activities": [asdict(a) for a in found.activities],
    }
