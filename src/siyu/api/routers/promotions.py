"""Coupons: templates, claims, use at order and refund, expiry, fission shares, stats."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from siyu.api.deps import SessionDep, require
from siyu.core.paging import PageRequest
from siyu.promotions import queries, services
from siyu.promotions.schemas import (
    CouponOut,
    CouponTemplateOut,
    CouponTemplatePatch,
    CouponTemplateSpec,
    OrderLineIn,
)
from siyu.shops.services import Principal

router = APIRouter(tags=["promotions"])
Viewer = Annotated[Principal, Depends(require("promotions:view"))]
Manager = Annotated[Principal, Depends(require("promotions:manage"))]


# ---- templates ------------------------------------------------------------------------------------------
@router.get("/coupon-templates", response_model=list[CouponTemplateOut])
def list_templates(session: SessionDep, principal: Viewer) -> list[Any]:
    """The shop's coupon templates, newest first."""
    return services.list_templates(session, shop_id=principal.shop_id)


@router.post("/coupon-templates", response_model=CouponTemplateOut, status_code=201)
def create_template(session: SessionDep, principal: Manager, body: CouponTemplateSpec) -> Any:
    """Define a coupon: 满减 / 折扣 / 无门槛, scope, claim and use windows, stock, limit, channel."""
    return services.create_template(session, by=principal.actor, spec=body)


@router.get("/coupon-templates/{template_id}", response_model=CouponTemplateOut)
def get_template(session: SessionDep, principal: Viewer, template_id: int) -> Any:
    """One template with its claimed count."""
    return services.get_template(session, shop_id=principal.shop_id, template_id=template_id)


@router.patch("/coupon-templates/{template_id}", response_model=CouponTemplateOut)
def update_template(session: SessionDep, principal: Manager, template_id: int, body: CouponTemplatePatch) -> Any:
    """Change terms (after the first claim only name, claim end, stock, limit and status)."""
    return services.update_template(session, by=principal.actor, template_id=template_id, changes=body.changes())


@router.post("/coupon-templates/{template_id}/stop", response_model=CouponTemplateOut)
def stop_template(session: SessionDep, principal: Manager, template_id: int) -> Any:
    """Stop issuing; coupons already claimed stay usable."""
    return services.stop_template(session, by=principal.actor, template_id=template_id)


class ClaimIn(BaseModel):
    customer_id: int
    channel: str = "api"
    idempotency_key: str | None = Field(default=None, max_length=100)


@router.post("/coupon-templates/{template_id}/claim", response_model=CouponOut, status_code=201)
def claim(session: SessionDep, principal: Manager, template_id: int, body: ClaimIn) -> Any:
    """Give a customer a coupon (stock, limit, window, channel checked; same idempotency key → same coupon)."""
    return services.claim_coupon(
        session,
        by=principal.actor,
        template_id=template_id,
        customer_id=body.customer_id,
        channel=body.channel,
        idempotency_key=body.idempotency_key,
    )


@router.get("/coupon-stats")
def stats(session: SessionDep, principal: Viewer) -> dict[str, Any]:
    """Per template and for the shop: stock, claimed, used, expired, locked, claim rate and use rate."""
    report = queries.coupon_stats(session, shop_id=principal.shop_id)

    def row(counts: queries.CouponCounts) -> dict[str, Any]:
        return {**asdict(counts), "claim_rate": counts.claim_rate, "use_rate": counts.use_rate}

    return {"templates": [row(t) for t in report.templates], "total": row(report.total)}


# ---- coupons --------------------------------------------------------------------------------------------
@router.get("/coupons")
def list_coupons(
    session: SessionDep,
    principal: Viewer,
    customer_id: int | None = None,
    template_id: int | None = None,
    status: str | None = None,
    page: int = 1,
    size: int = 50,
) -> dict[str, Any]:
    """The shop's coupons, newest first; filter by customer, template or status."""
    result = services.list_coupons(
        session,
        shop_id=principal.shop_id,
        customer_id=customer_id,
        template_id=template_id,
        status=status,
        page=PageRequest(page, size),
    )
    return {
        "total": result.total,
        "page": result.request.page,
        "size": result.request.size,
        "items": [CouponOut.model_validate(c).model_dump(mode="json") for c in result.items],
    }


@router.get("/coupons/{coupon_id}", response_model=CouponOut)
def get_coupon(session: SessionDep, principal: Viewer, coupon_id: int) -> Any:
    """One coupon."""
    return services.get_coupon(session, shop_id=principal.shop_id, coupon_id=coupon_id)


class UseIn(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    order_no: str = Field(min_length=1, max_length=64)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)


class UseOut(BaseModel):
    coupon: CouponOut
    discount_fen: int


@router.post("/coupons/use", response_model=UseOut)
def use(session: SessionDep, principal: Manager, body: UseIn) -> Any:
    """Redeem a coupon on an order; answers the discount in fen (a retry for the same order answers the same)."""
    coupon, off = services.use_coupon(
        session, by=principal.actor, code=body.code, order_no=body.order_no, lines=body.lines
    )
    return {"coupon": coupon, "discount_fen": off}


class CodeIn(BaseModel):
    code: str = Field(min_length=1, max_length=32)


@router.post("/coupons/return", response_model=CouponOut)
def return_coupon(session: SessionDep, principal: Manager, body: CodeIn) -> Any:
    """The order was refunded: usable again inside its window, else expired."""
    return services.return_coupon(session, by=principal.actor, code=body.code)


@router.post("/coupons/expire")
def expire(session: SessionDep, principal: Manager) -> dict[str, int]:
    """Expire the shop's coupons past their end now; answers how many."""
    return {"expired": services.expire_coupons(session, by=principal.actor)}


class ShareIn(BaseModel):
    friend_customer_id: int


@router.post("/coupons/{coupon_id}/shares", response_model=CouponOut)
def share(session: SessionDep, principal: Manager, coupon_id: int, body: ShareIn) -> Any:
    """Record a distinct friend a fission coupon was shared with; the N-th unlocks it."""
    return services.record_fission_share(
        session, by=principal.actor, coupon_id=coupon_id, friend_customer_id=body.friend_customer_id
    )
