"""Coupons (优惠券): templates with their claim and use figures, a new template (满减, 折扣, 无门槛 with
scope, windows, stock, limits and channel), stopping a template, the coupons issued with filters, and
issuing one coupon to a customer by JD account for support cases (SPEC §6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from siyu.core.errors import DomainError, InvalidInput, NotFound
from siyu.core.paging import PageRequest
from siyu.customers.models import Customer
from siyu.db import transaction
from siyu.promotions import queries, services
from siyu.promotions.domain import CouponStatus
from siyu.promotions.errors import InvalidTemplate
from siyu.web.context import Console, ConsoleDep, PostDep, factory_of
from siyu.web.i18n import gettext
from siyu.web.templating import render
from siyu.web.views.loyalty_forms import COUPON_FIELDS, SPEC_TO_FORM, coupon_form_defaults, parse_coupon
from siyu.web.views.members import form_key

router = APIRouter()
PAGE_SIZE = 20
STATUSES = tuple(s.value for s in CouponStatus)
NOTICES = {
    "created": "Coupon template created.",
    "stopped": "The template stopped issuing; coupons already claimed stay usable.",
}


def _coupons_page(request: Request, console: Console, **extra: Any) -> Response:
    shop_id = console.shop.id
    status = request.query_params.get("status", "")
    status = status if status in STATUSES else ""
    template = request.query_params.get("template", "")
    template_id = int(template) if template.isdigit() and len(template) < 12 else None
    page = request.query_params.get("page", "1")
    number = int(page) if page.isdigit() and len(page) < 7 else 1
    with transaction(factory_of(request)) as session:
        stats = queries.coupon_stats(session, shop_id=shop_id)
        templates = {t.id: t for t in services.list_templates(session, shop_id=shop_id)}
        coupons = services.list_coupons(
            session,
            shop_id=shop_id,
            template_id=template_id,
            status=status or None,
            page=PageRequest(max(1, number), PAGE_SIZE),
        )
        ids = {c.customer_id for c in coupons.items}
        customers = {
            cid: (account, name)
            for cid, account, name in session.execute(
                select(Customer.id, Customer.account, Customer.name).where(
                    Customer.shop_id == shop_id, Customer.id.in_(ids)
                )
            )
        }
    params = {"status": status, "template": str(template_id or "")}
    context: dict[str, Any] = {
        "stats": stats,
        "templates": templates,
        "coupons": coupons,
        "customers": customers,
        "params": params,
        "query": urlencode({k: v for k, v in params.items() if v}),
        "statuses": STATUSES,
        "form": coupon_form_defaults(datetime.now(console.zone)),
        "errors": {},
        "error": "",
        "issue": {"account": "", "template_id": "", "key": form_key()},
        "issue_error": "",
        "issued": None,
        "notice": "",
        "open_create": False,
    }
    context.update(extra)
    code = context.pop("status_code", 200)
    return render(request, "coupons/index.html", console=console, status_code=code, **context)


@router.get("/coupons")
def coupon_page(request: Request, console: ConsoleDep, done: str = "") -> Response:
    """Coupon templates with stock, claims, uses and rates; the coupons issued, filtered by status and template."""
    console.require("promotions:view")
    notice = gettext(console.lang, NOTICES[done]) if done in NOTICES else ""
    return _coupons_page(request, console, notice=notice)


@router.post("/coupons/templates")
async def template_create(request: Request, console: PostDep) -> Response:
    """Create a coupon template; contradictory terms come back with the term named, in the reader's language."""
    console.require("promotions:manage")
    raw = await request.form()
    form = {k: str(raw.get(k) or "") for k in COUPON_FIELDS}
    spec, errors = parse_coupon(form, console.zone)
    lang = console.lang
    if spec is None:
        shown = {name: gettext(lang, key) for name, key in errors.items()}
        return _coupons_page(
            request,
            console,
            status_code=400,
            form=form,
            errors=shown,
            error=gettext(lang, "Some fields are not valid; see the marked fields."),
            open_create=True,
        )
    try:
        with transaction(factory_of(request), write=True) as session:
            services.create_template(session, by=console.principal.actor, spec=spec)
    except DomainError as exc:
        if exc.status == 403:
            raise
        field = str(exc.details.get("field", "")) if isinstance(exc, InvalidTemplate) else ""
        field = SPEC_TO_FORM.get(field, field)
        message = exc.message(lang)
        return _coupons_page(
            request,
            console,
            status_code=exc.status,
            form=form,
            errors={field: message} if field in form else {},
            error=message,
            open_create=True,
        )
    return RedirectResponse("/coupons?done=created", status_code=303)


@router.post("/coupons/templates/{template_id:int}/stop")
def template_stop(request: Request, console: PostDep, template_id: int) -> Response:
    """Stop issuing a template (停止发放); claimed coupons stay usable inside their window."""
    console.require("promotions:manage")
    with transaction(factory_of(request), write=True) as session:
        services.stop_template(session, by=console.principal.actor, template_id=template_id)
    return RedirectResponse("/coupons?done=stopped", status_code=303)


@router.post("/coupons/issue")
async def coupon_issue(request: Request, console: PostDep) -> Response:
    """Issue one coupon to a customer found by JD account (support cases); the form's key issues once."""
    console.require("promotions:manage")
    raw = await request.form()
    form = {k: str(raw.get(k) or "") for k in ("account", "template_id", "key")}
    form["key"] = form["key"] or form_key()
    try:
        account = form["account"].strip()
        if not account:
            raise InvalidInput("请填写客户的京东下单帐号", "enter the customer's JD account")
        if not form["template_id"].isdigit():
            raise InvalidInput("请选择优惠券模板", "choose a coupon template")
        with transaction(factory_of(request), write=True) as session:
            customer = session.scalar(
                select(Customer).where(Customer.shop_id == console.shop.id, Customer.account == account[:100])
            )
            if customer is None:
                raise NotFound(f"京东帐号「{account[:100]}」的客户", f"a customer with JD account '{account[:100]}'")
            coupon = services.claim_coupon(
                session,
                by=console.principal.actor,
                template_id=int(form["template_id"]),
                customer_id=customer.id,
                channel="console",
                idempotency_key=form["key"][:100],
            )
            issued = {"code": coupon.code, "account": customer.account, "valid_until": coupon.valid_until}
    except DomainError as exc:
        if exc.status == 403:
            raise
        code = 422 if exc.status == 404 else exc.status
        return _coupons_page(request, console, status_code=code, issue=form, issue_error=exc.message(console.lang))
    return _coupons_page(request, console, issued=issued)
