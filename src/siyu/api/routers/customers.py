"""Customers: list, profile with order timeline, masked Excel export, audited phone reveal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from siyu.api.deps import SessionDep, lang_of, require
from siyu.core.paging import PageRequest
from siyu.customers import queries, services
from siyu.customers.schemas import CustomerDetail, CustomerFilter, CustomerRow
from siyu.db import begin_writing
from siyu.shops.services import Principal

router = APIRouter(prefix="/customers", tags=["customers"])
Viewer = Annotated[Principal, Depends(require("customers:view"))]


class CustomerPage(BaseModel):
    items: list[CustomerRow]
    total: int
    page: int
    size: int
    pages: int


@router.get("", response_model=CustomerPage)
def list_customers(
    session: SessionDep, principal: Viewer, flt: Annotated[CustomerFilter, Query()], page: int = 1, size: int = 50
) -> CustomerPage:
    """List the shop's customers with search, filters and paging."""
    result = queries.list_customers(session, shop_id=principal.shop_id, flt=flt, page=PageRequest(page, size))
    return CustomerPage(
        items=result.items, total=result.total, page=result.request.page, size=result.request.size, pages=result.pages
    )


@router.get("/export.xlsx", response_class=Response)
def export_customers(
    request: Request, session: SessionDep, principal: Viewer, flt: Annotated[CustomerFilter, Query()]
) -> Response:
    """Excel export of the filtered customers (phones masked, formula injection neutralised)."""
    begin_writing(session)  # the export is audited: take SQLite's write lock before the long read
    body = services.export_customers(session, by=principal, flt=flt, lang=lang_of(request))
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="customers.xlsx"'},
    )


@router.get("/{customer_id}", response_model=CustomerDetail)
def get_customer(session: SessionDep, principal: Viewer, customer_id: int) -> CustomerDetail:
    """One customer's profile and order timeline."""
    return queries.customer_detail(session, shop_id=principal.shop_id, customer_id=customer_id)


class RevealedPhone(BaseModel):
    customer_id: int
    phone: str


@router.post("/{customer_id}/reveal-phone", response_model=RevealedPhone)
def reveal_phone(
    session: SessionDep, principal: Annotated[Principal, Depends(require("customers:phone"))], customer_id: int
) -> RevealedPhone:
    """The phone exactly as imported (permission customers:phone; audited)."""
    return RevealedPhone(
        customer_id=customer_id, phone=services.reveal_phone(session, by=principal, customer_id=customer_id)
    )
