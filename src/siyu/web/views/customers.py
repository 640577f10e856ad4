"""Customers: searchable, filterable list with Excel export, and the customer page with its orders."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from siyu.core.paging import PageRequest
from siyu.customers import queries, services
from siyu.customers.models import SOURCE_CHANNELS
from siyu.customers.schemas import CustomerFilter
from siyu.db import transaction
from siyu.web.context import ConsoleDep, PostDep, factory_of
from siyu.web.templating import is_htmx, render

router = APIRouter()
PAGE_SIZE = 50
FILTER_KEYS = ("q", "city", "gender", "source", "member", "follows", "paid", "snapshot", "tag")


def _flag(value: str | None) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 12 else None


def read_filter(request: Request) -> tuple[CustomerFilter, dict[str, str]]:
    """The list filter from the query string; unknown or malformed values are ignored."""
    params = {key: request.query_params.get(key, "").strip() for key in FILTER_KEYS}
    values = {
        "q": params["q"][:100],
        "city": params["city"][:40],
        "gender": params["gender"] if params["gender"] in ("male", "female") else "",
        "source_channel": params["source"][:40],
        "is_member": _flag(params["member"]),
        "follows_shop": _flag(params["follows"]),
        "has_paid_order": _flag(params["paid"]),
        "snapshot_id": _id(params["snapshot"]),
        "tag_id": _id(params["tag"]),
    }
    try:
        flt = CustomerFilter(**values)
    except ValidationError:
        flt = CustomerFilter()
    return flt, params


def member_banner(request: Request, shop_id: int, flt: CustomerFilter) -> dict[str, Any] | None:
    """Which snapshot or tag the list is narrowed to (another shop's id is a 404)."""
    from siyu.segments import services as segments

    with transaction(factory_of(request)) as session:
        if flt.snapshot_id is not None:
            snapshot = segments.get_snapshot(session, shop_id=shop_id, snapshot_id=flt.snapshot_id)
            return {"kind": "snapshot", "name": snapshot.name, "back": "/audiences#snapshots"}
        if flt.tag_id is not None:
            tag = segments.get_tag(session, shop_id=shop_id, tag_id=flt.tag_id)
            return {"kind": "tag", "name": tag.name, "back": f"/tags#tag-{tag.id}"}
    return None


def _cities(request: Request, shop_id: int) -> list[str]:
    with transaction(factory_of(request)) as session:
        return queries.list_cities(session, shop_id=shop_id)


@router.get("/customers")
def customer_list(request: Request, console: ConsoleDep, page: int = 1) -> Response:
    """The customer list; htmx requests get only the results table."""
    console.require("customers:view")
    flt, params = read_filter(request)
    banner = member_banner(request, console.shop.id, flt) if console.allows("segments:view") else None
    with transaction(factory_of(request)) as session:
        result = queries.list_customers(
            session, shop_id=console.shop.id, flt=flt, page=PageRequest(max(1, page), PAGE_SIZE)
        )
    active = {k: v for k, v in params.items() if v}
    context: dict[str, Any] = {
        "result": result,
        "params": params,
        "query": urlencode(active),
        "channels": SOURCE_CHANNELS,
        "banner": banner,
    }
    if is_htmx(request) and request.headers.get("hx-target") == "results":
        return render(request, "customers/_results.html", console=console, **context)
    return render(request, "customers/list.html", console=console, cities=_cities(request, console.shop.id), **context)


@router.get("/customers/export.xlsx")
def customer_export(request: Request, console: ConsoleDep) -> Response:
    """Excel export of the filtered list: phones masked, the export audited."""
    console.require("customers:view")
    flt, _params = read_filter(request)
    with transaction(factory_of(request), write=True) as session:
        body = services.export_customers(session, by=console.principal, flt=flt, lang=console.lang)
    stamp = datetime.now(console.zone).strftime("%Y%m%d-%H%M")
    name = f"customers-{console.shop.code}-{stamp}.xlsx"
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get("/customers/{customer_id}")
def customer_page(request: Request, console: ConsoleDep, customer_id: int) -> Response:
    """Profile card and order timeline of one customer of this shop (another shop's id is a 404)."""
    console.require("customers:view")
    with transaction(factory_of(request)) as session:
        detail = queries.customer_detail(session, shop_id=console.shop.id, customer_id=customer_id)
    return render(request, "customers/detail.html", console=console, c=detail, channels=SOURCE_CHANNELS)


@router.post("/customers/{customer_id}/phone")
def reveal_phone(request: Request, console: PostDep, customer_id: int) -> Response:
    """Show one full phone number to a permitted staff member (audited by the service)."""
    console.require("customers:phone")
    with transaction(factory_of(request), write=True) as session:
        phone = services.reveal_phone(session, by=console.principal, customer_id=customer_id)
        masked = queries.get_customer(session, shop_id=console.shop.id, customer_id=customer_id).phone_masked
    if is_htmx(request):
        return render(request, "customers/_phone.html", console=console, phone=phone, masked=masked)
    with transaction(factory_of(request)) as session:
        detail = queries.customer_detail(session, shop_id=console.shop.id, customer_id=customer_id)
    return render(request, "customers/detail.html", console=console, c=detail, channels=SOURCE_CHANNELS, revealed=phone)
