"""The points mall (积分商城): items with cost, stock and limits, new items (coupon items name a coupon
template), restocking, putting items on or off the shelf, and the latest redemptions (SPEC §5)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from siyu.core.errors import DomainError, InvalidInput
from siyu.db import transaction
from siyu.loyalty import queries, services
from siyu.promotions import services as promotions
from siyu.web.context import Console, ConsoleDep, PostDep, factory_of
from siyu.web.i18n import gettext
from siyu.web.templating import render

router = APIRouter()
KINDS = ("coupon", "gift", "lottery")
ITEM_FIELDS = (
    "name",
    "kind",
    "points_cost",
    "stock",
    "per_member_limit",
    "coupon_template_id",
    "win_rate_pct",
    "min_tier_level",
    "description",
)
NOTICES = {"created": "Item created.", "updated": "Item updated."}


def _blank() -> dict[str, str]:
    return {
        "name": "",
        "kind": "gift",
        "points_cost": "",
        "stock": "100",
        "per_member_limit": "1",
        "coupon_template_id": "",
        "win_rate_pct": "10",
        "min_tier_level": "1",
        "description": "",
    }


def _mall_page(request: Request, console: Console, **extra: Any) -> Response:
    shop_id = console.shop.id
    with transaction(factory_of(request)) as session:
        items = services.list_mall_items(session, shop_id=shop_id)
        templates = promotions.list_templates(session, shop_id=shop_id)
        tiers = services.list_tiers(session, shop_id=shop_id)
        recent = services.redemptions(session, shop_id=shop_id, limit=50)
        member_ids = {r.member_id for r, _name in recent}
        who = queries.member_labels(session, shop_id=shop_id, member_ids=member_ids)
    context: dict[str, Any] = {
        "items": items,
        "templates": templates,
        "template_names": {t.id: t.name for t in templates},
        "tiers": tiers,
        "recent": [{"r": r, "item": name, "who": who.get(r.member_id)} for r, name in recent],
        "form": _blank(),
        "error": "",
        "update_error": "",
        "notice": "",
        "open_create": False,
    }
    context.update(extra)
    code = context.pop("status_code", 200)
    return render(request, "mall/index.html", console=console, status_code=code, **context)


@router.get("/mall")
def mall_page(request: Request, console: ConsoleDep, done: str = "") -> Response:
    """Items of the points mall and what members redeemed lately."""
    console.require("loyalty:view")
    notice = gettext(console.lang, NOTICES[done]) if done in NOTICES else ""
    return _mall_page(request, console, notice=notice)


def _number(form: dict[str, str], name: str, zh: str, en: str, default: int | None = None) -> int:
    text = form.get(name, "").strip().replace(",", "")
    if not text and default is not None:
        return default
    if not text.isdigit() or len(text) > 9:
        raise InvalidInput(f"{zh}需为不小于 0 的整数", f"{en} must be a whole number, 0 or more")
    return int(text)


@router.post("/mall")
async def mall_create(request: Request, console: PostDep) -> Response:
    """Put a new item in the mall (coupon items issue a coupon of the chosen template when redeemed)."""
    console.require("loyalty:manage")
    raw = await request.form()
    form = {k: str(raw.get(k) or "") for k in ITEM_FIELDS}
    try:
        kind = form["kind"] if form["kind"] in KINDS else "gift"
        template = form["coupon_template_id"].strip()
        spec = services.MallItemSpec(
            name=form["name"],
            kind=kind,
            points_cost=_number(form, "points_cost", "兑换积分", "the points cost"),
            stock=_number(form, "stock", "库存", "stock", 0),
            per_member_limit=_number(form, "per_member_limit", "每人限兑", "the per-member limit", 0),
            description=form["description"].strip(),
            coupon_template_id=int(template) if kind == "coupon" and template.isdigit() else None,
            win_rate_pct=_number(form, "win_rate_pct", "中奖率", "the win rate") if kind == "lottery" else 0,
            min_tier_level=max(1, _number(form, "min_tier_level", "最低等级", "the lowest tier", 1)),
        )
        with transaction(factory_of(request), write=True) as session:
            services.create_mall_item(session, by=console.principal.actor, spec=spec)
    except DomainError as exc:
        if exc.status == 403:
            raise
        message = exc.message(console.lang)
        code = exc.status if exc.status != 404 else 422  # a template of another shop: say so on the form
        return _mall_page(request, console, status_code=code, form=form, error=message, open_create=True)
    return RedirectResponse("/mall?done=created", status_code=303)


@router.post("/mall/{item_id:int}")
async def mall_update(request: Request, console: PostDep, item_id: int) -> Response:
    """Restock (set the stock left), or take the item on or off the shelf."""
    console.require("loyalty:manage")
    raw = await request.form()
    form = {k: str(raw.get(k) or "") for k in ("stock", "active")}
    try:
        stock = _number(form, "stock", "库存", "stock") if form["stock"].strip() else None
        active = {"1": True, "0": False}.get(form["active"])
        with transaction(factory_of(request), write=True) as session:
            services.update_mall_item(session, by=console.principal.actor, item_id=item_id, stock=stock, active=active)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _mall_page(request, console, status_code=exc.status, update_error=exc.message(console.lang))
    return RedirectResponse(f"/mall?done=updated#item-{item_id}", status_code=303)
